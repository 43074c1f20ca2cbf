/* A request's timeline (ES5), newest step first, in pages of whole steps.
 *
 * The steps are cut into pages that fit the box (#tl-box) whole: only one
 * page shows at a time, so the box never ends on half a step. The focus
 * moved with up/down from step to step turns the pages (the page of the
 * focused step shows); "1/3 쪽" under the box (#tl-pos, its words from
 * data-fmt, {pos} replaced) says where the user is. A step taller than
 * the whole box (never at the designed sizes) scrolls within it.
 *
 * A short timeline (data-tl-fit: the last steps under a screen's buttons)
 * leaves out its oldest steps that would run past the screen's frame
 * (#tv-main), its note (.tl-more, words from data-fmt, {n} replaced)
 * counting them. */
(function (win, doc) {
  'use strict';
  var box = doc.getElementById('tl-box'), list = doc.getElementById('timeline'), pos = doc.getElementById('tl-pos');
  var items = [], pages = [], shown = 0, i;
  function fit(ol) {
    var frame = doc.getElementById('tv-main'), steps = ol.querySelectorAll('.tl-step'),
      more = ol.querySelector('.tl-more'), n = more ? parseInt(more.getAttribute('data-n'), 10) || 0 : 0, j;
    if (!frame) { return; }
    for (j = 0; j < steps.length - 1 && ol.getBoundingClientRect().bottom > frame.getBoundingClientRect().bottom; j++) {
      steps[j].style.display = 'none';
      n++;
      if (more) {
        more.removeAttribute('hidden');
        more.textContent = (more.getAttribute('data-fmt') || '{n}').replace('{n}', n);
      }
    }
  }
  if (list && list.hasAttribute('data-tl-fit')) { fit(list); }
  if (!box || !list || !win.RemoteNav) { return; }
  for (i = 0; i < list.children.length; i++) { items.push(list.children[i]); }

  function pageOf(el) {
    var p, j;
    for (p = 0; p < pages.length; p++) {
      for (j = 0; j < pages[p].length; j++) { if (pages[p][j] === el || pages[p][j].contains(el)) { return p; } }
    }
    return -1;
  }
  function show(p) {
    var j, k;
    shown = Math.max(0, Math.min(p, pages.length - 1));
    for (j = 0; j < pages.length; j++) {
      for (k = 0; k < pages[j].length; k++) { pages[j][k].style.display = j === shown ? '' : 'none'; }
    }
    box.scrollTop = 0;
    if (pos) {
      pos.style.display = pages.length > 1 ? '' : 'none';
      pos.textContent = (pos.getAttribute('data-fmt') || '{pos}').replace('{pos}', (shown + 1) + '/' + pages.length);
    }
  }
  function layout() {
    var room, top, r, page = [], j;
    for (j = 0; j < items.length; j++) { items[j].style.display = ''; }
    if (pos) { pos.style.display = ''; pos.textContent = (pos.getAttribute('data-fmt') || '{pos}').replace('{pos}', '1/1'); }
    box.scrollTop = 0;
    r = box.getBoundingClientRect();
    room = r.bottom - (items.length ? items[0].getBoundingClientRect().top : r.top);  // a page starts there
    pages = [];
    for (j = 0; j < items.length; j++) {
      r = items[j].getBoundingClientRect();
      if (page.length && r.bottom - top > room + 0.5) { pages.push(page); page = []; }
      if (!page.length) { top = r.top; }
      page.push(items[j]);
    }
    if (page.length) { pages.push(page); }
  }
  function follow(el) {
    var p = el ? pageOf(el) : -1, b, r;
    if (p < 0) { return; }
    if (p !== shown) { show(p); }
    if (doc.activeElement !== el && el.focus) { el.focus(); }  // it was hidden when focused
    b = box.getBoundingClientRect();
    r = el.getBoundingClientRect();
    if (r.bottom > b.bottom) { box.scrollTop += r.bottom - b.bottom; }
    if (r.top < b.top) { box.scrollTop -= b.top - r.top; }
  }
  function start() {
    var cur = doc.getElementById(win.RemoteNav.current && win.RemoteNav.current());
    layout();
    show(Math.max(0, pageOf(cur)));
    follow(cur);
  }
  win.RemoteNav.on('FOCUS', function (d) { follow(d.element); });
  start();
  win.addEventListener('resize', start, false);
})(window, document);

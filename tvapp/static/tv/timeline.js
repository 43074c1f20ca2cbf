/* A request's timeline (ES5): a focused step is shown whole in its box, the
 * box scrolled just enough (the browser's own focus scroll may leave it cut). */
(function (win, doc) {
  'use strict';
  var box = doc.getElementById('tl-box');
  if (!box || !win.RemoteNav) { return; }
  function show(el) {
    var b, r;
    if (!el || !box.contains(el)) { if (el && el.parentNode && !box.contains(el)) { box.scrollTop = 0; } return; }
    b = box.getBoundingClientRect();
    r = el.getBoundingClientRect();
    if (r.bottom > b.bottom) { box.scrollTop += r.bottom - b.bottom; }
    if (r.top < b.top) { box.scrollTop -= b.top - r.top; }
  }
  win.RemoteNav.on('FOCUS', function (d) { show(d.element); });
  show(doc.getElementById(win.RemoteNav.current && win.RemoteNav.current()));
})(window, document);

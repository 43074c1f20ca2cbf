/* The ticker (ES5): a CSS crawl; layout read once per text */
(function (win, doc) {
  var box = doc.getElementById('tv-ticker'), failures = 0, polling = false, source = null, heard = 0, n = 0,
    crawl, style;
  if (!box) { return; }
  var frame = box.parentNode;

  function layout() {
    var w = crawl.offsetWidth, r = box.clientWidth, name = 'tv-crawl' + (++n), p, k;
    crawl.style.cssText = '';
    if (box.hasAttribute('hidden') || w <= r) { return; }
    p = Math.round(1000 * w / (w + r)) / 10;
    k = '{0%{T0)}' + p + '%{T' + -w + 'px)}' + (p + 0.01) + '%{T' + r + 'px)}100%{T0)}}';
    if (!style) { style = doc.getElementsByTagName('head')[0].appendChild(doc.createElement('style')); }
    style.textContent = '@-webkit-keyframes ' + name + k.replace(/T/g, '-webkit-transform:translateX(') +
      '@keyframes ' + name + k.replace(/T/g, 'transform:translateX(');
    k = name + ' ' + (w + r) / 90 + 's linear 2s infinite';
    crawl.style.cssText = '-webkit-animation:' + k + ';animation:' + k;
  }
  function render(data) {
    var msgs = (data && data.messages) || [], i;
    while (crawl.firstChild) { crawl.removeChild(crawl.firstChild); }
    for (i = 0; i < msgs.length; i++) {
      if (i > 0) { crawl.appendChild(doc.createTextNode(' \u00b7 ')); }
      crawl.appendChild(doc.createElement('span')).appendChild(doc.createTextNode(msgs[i].text));
    }
    if (msgs.length) { box.removeAttribute('hidden'); } else { box.setAttribute('hidden', ''); }
    frame.className = frame.className.replace(/\s*\bhas-ticker\b/g, '') + (msgs.length ? ' has-ticker' : '');
    box.setAttribute('data-ticker-at', (data && data.at) || '');
    layout();
  }
  function parse(text) {
    try { return JSON.parse(text); } catch (e) { return null; }
  }
  function connection(up, grace) {
    var c = win.TVConnection, now = new Date().getTime();
    if (!c) { return; }
    if (up) { heard = now; c.ok(); } else if (now - heard > grace) { c.check(); }
  }
  function poll() {
    var x = new XMLHttpRequest();
    x.onreadystatechange = function () {
      var d;
      if (x.readyState !== 4) { return; }
      if (x.status === 200 && (d = parse(x.responseText))) { render(d); }
      connection(x.status === 200, 0);
      win.setTimeout(poll, 10000);
    };
    x.open('GET', '/tv/ticker.json', true);
    x.send(null);
  }
  function startPolling() {
    if (polling) { return; }
    polling = true;
    if (source) { source.close(); }
    win.setTimeout(poll, 10000);
  }

  crawl = doc.createElement('span');
  crawl.className = 'tv-ticker-crawl';
  crawl.setAttribute('data-safe-bleed', '');
  while (box.firstChild) { crawl.appendChild(box.firstChild); }
  box.appendChild(crawl);
  layout();
  if (win.EventSource && !win.TV_TICKER_POLL) {
    source = new win.EventSource('/tv/ticker');
    source.onopen = function () { connection(true, 0); };
    source.addEventListener('ticker', function (e) {
      var d = parse(e.data);
      failures = 0;
      connection(true, 0);
      if (d) { render(d); }
    }, false);
    source.onerror = function () {
      failures += 1;
      connection(false, 3000);
      if (failures > 5) { startPolling(); }
    };
  } else {
    startPolling();
  }
}(window, document));

/* Urgent ticker on every TV screen (ES5): server-sent events from /tv/ticker,
   or polling /tv/ticker.json every 10 s where EventSource is missing or keeps
   failing. Only fills #tv-ticker; it never takes focus. */
(function () {
  var box = document.getElementById('tv-ticker'), failures = 0, polling = false, source = null;
  if (!box) { return; }
  var frame = box.parentNode, crawl = null, timer = null, offset = 0, pause = 0;

  /* Text wider than the box crawls right to left through it (clipped by the
     box, which stays inside the title-safe area). */
  function wrapContents() {
    crawl = document.createElement('span');
    crawl.className = 'tv-ticker-crawl';
    crawl.setAttribute('data-safe-bleed', '');
    crawl.style.position = 'relative';
    crawl.style.display = 'inline-block';
    crawl.style.whiteSpace = 'nowrap';
    while (box.firstChild) { crawl.appendChild(box.firstChild); }
    box.appendChild(crawl);
  }
  function step() {
    var room = box.clientWidth, width = crawl.offsetWidth;
    if (pause > 0) { pause -= 1; return; }
    offset -= 3;
    if (offset < -width) { offset = room; }
    crawl.style.left = offset + 'px';
  }
  function layout() {
    if (timer) { window.clearInterval(timer); timer = null; }
    offset = 0;
    pause = 60;  /* read the start for 2 s before it moves */
    crawl.style.left = '0px';
    if (!box.hasAttribute('hidden') && crawl.offsetWidth > box.clientWidth) {
      timer = window.setInterval(step, 33);
    }
  }

  function render(data) {
    var msgs = (data && data.messages) || [], i, span;
    while (box.firstChild) { box.removeChild(box.firstChild); }
    for (i = 0; i < msgs.length; i++) {
      if (i > 0) { box.appendChild(document.createTextNode(' \u00b7 ')); }
      span = document.createElement('span');
      span.appendChild(document.createTextNode(msgs[i].text));
      box.appendChild(span);
    }
    wrapContents();
    if (msgs.length) {
      box.removeAttribute('hidden');
      if (!/\bhas-ticker\b/.test(frame.className)) { frame.className += ' has-ticker'; }
    } else {
      box.setAttribute('hidden', '');
      frame.className = frame.className.replace(/\s*\bhas-ticker\b/g, '');
    }
    box.setAttribute('data-ticker-at', (data && data.at) || '');
    layout();
  }
  function parse(text) {
    try { return JSON.parse(text); } catch (e) { return null; }
  }
  function poll() {
    var xhr = new XMLHttpRequest();
    xhr.onreadystatechange = function () {
      if (xhr.readyState === 4) {
        if (xhr.status === 200) { var d = parse(xhr.responseText); if (d) { render(d); } }
        connection(xhr.status === 200, 0);
        window.setTimeout(poll, 10000);
      }
    };
    xhr.open('GET', '/tv/ticker.json', true);
    xhr.send(null);
  }
  function startPolling() {
    if (polling) { return; }
    polling = true;
    if (source) { source.close(); }
    window.setTimeout(poll, 10000);
  }
  var heard = 0;
  function connection(up, grace) {  /* tells tv.js when the web process may be gone */
    var c = window.TVConnection, now = new Date().getTime();
    if (!c) { return; }
    if (up) { heard = now; c.ok(); } else if (now - heard > grace) { c.check(); }
  }
  wrapContents();
  layout();
  if (window.EventSource && !window.TV_TICKER_POLL) {
    source = new window.EventSource('/tv/ticker');
    source.onopen = function () { connection(true, 0); };
    source.addEventListener('ticker', function (e) {
      failures = 0;
      connection(true, 0);
      var d = parse(e.data);
      if (d) { render(d); }
    }, false);
    source.onerror = function () {
      /* a bounded stream ends about every minute and reconnects by itself;
         fall back to polling only when it keeps failing */
      failures += 1;
      connection(false, 3000);  /* a stream that just spoke and ended is not a lost server */
      if (failures > 5) { startPolling(); }
    };
  } else {
    startPolling();
  }
}());

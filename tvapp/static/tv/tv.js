/* TV screens' behaviour (ES5, no framework; loaded after remote_nav.js).
 *  - clock in the header; the household's name where the front left it blank;
 *  - number-pad fields ([data-np]): remote digits type, grouping shown
 *    (02-1234-5678, card numbers by 4), value kept across Back (sessionStorage);
 *  - hand-off fields ([data-ho-poll]): poll the phone's text about once a second;
 *  - pairing screen ([data-pair-poll]): poll every interval s, honour slow_down;
 *  - connection: when the server has not been heard for a while, or the
 *    ticker's stream dropped and /livez did not answer (the web process
 *    restarting, the network gone), a key that would load a screen first asks
 *    /livez; if nobody answers, a calm notice replaces the browser's error page
 *    and the box keeps its screen, focus and typed digits until it is back.
 * Nothing here reads layout. */
(function (win, doc) {
  'use strict';
  function byId(id) { return id ? doc.getElementById(id) : null; }
  function attr(el, n) { return el && el.getAttribute ? el.getAttribute(n) : null; }
  function store() { try { return win.sessionStorage || null; } catch (e) { return null; } }
  function keyFor(id) { return 'tv:' + win.location.pathname + ':' + id; }
  function setText(el, text) { while (el.firstChild) { el.removeChild(el.firstChild); } el.appendChild(doc.createTextNode(text)); }
  function getJSON(url, ok, fail) {
    var x = new win.XMLHttpRequest();
    x.open('GET', url, true);
    x.setRequestHeader('Accept', 'application/json');
    x.onreadystatechange = function () {
      var data = null;
      if (x.readyState !== 4) { return; }
      try { data = win.JSON.parse(x.responseText); } catch (e) { data = null; }
      if (x.status === 200 && data) { ok(data); } else if (fail) { fail(x.status, data); }
    };
    x.send(null);
  }
  function pad2(n) { return n < 10 ? '0' + n : '' + n; }

  /* ---- clock: server time plus elapsed box time (the box's clock may be wrong).
   * A screen revalidated with a 304 keeps the time it was rendered at; its
   * answer set tv_now to the server's time now: the later of the two counts. */
  var clock = byId('tv-clock');
  if (clock) {
    var nowCookie = /(?:^|;\s*)tv_now=(\d+)/.exec(doc.cookie || '');
    var base = Math.max(parseInt(attr(clock, 'data-now'), 10) || 0, nowCookie ? parseInt(nowCookie[1], 10) : 0) ||
      new Date().getTime(), t0 = new Date().getTime();
    var tick = function () {
      var d = new Date(base + (new Date().getTime() - t0) + 9 * 3600000);  /* KST */
      setText(clock, pad2(d.getUTCHours()) + ':' + pad2(d.getUTCMinutes()));
    };
    tick();
    win.setInterval(tick, 20000);
  }

  /* ---- the household's name: a screen the front served to every box of its
   * language leaves it blank; this box's own tv_who cookie has it */
  var whoSlots = doc.getElementsByClassName ? doc.getElementsByClassName('tv-who-name') : [];
  if (whoSlots.length) {
    var m = /(?:^|;\s*)tv_who=([^;]*)/.exec(doc.cookie || ''), who = '';
    try { who = m ? decodeURIComponent(m[1]) : ''; } catch (e) { who = ''; }
    for (var w = 0; w < whoSlots.length; w++) { if (!whoSlots[w].firstChild) { setText(whoSlots[w], who); } }
  }

  /* ---- number pad */
  function group(d, kind) {
    var out = [], i, head, rest;
    if (kind === 'card') {
      for (i = 0; i < d.length; i += 4) { out.push(d.substr(i, 4)); }
      return out.join('-');
    }
    if (kind !== 'phone' || !d) { return d; }
    if (d.charAt(0) === '1' && d.length <= 8) { return d.length <= 4 ? d : d.substr(0, 4) + '-' + d.substr(4); }
    head = d.substr(0, 2) === '02' ? 2 : 3;
    rest = d.substr(head);
    if (!rest) { return d.substr(0, head); }
    if (rest.length <= 4) { return d.substr(0, head) + '-' + rest; }
    if (rest.length <= 7) { return d.substr(0, head) + '-' + rest.substr(0, 3) + '-' + rest.substr(3); }
    return d.substr(0, head) + '-' + rest.substr(0, 4) + '-' + rest.substr(4);
  }
  function npShow(field, digits) {
    var input = byId(attr(field, 'data-np-input')), text = field.firstChild, ph = text && text.nextSibling, s = store();
    if (input) { input.value = digits; }
    if (text) { setText(text, group(digits, attr(field, 'data-np'))); }
    if (ph) { if (digits) { ph.setAttribute('hidden', ''); } else { ph.removeAttribute('hidden'); } }
    if (s) { try { s.setItem(keyFor(field.id), digits); } catch (e) { /* full */ } }
  }
  function npValue(field) { var input = byId(attr(field, 'data-np-input')); return input ? input.value : ''; }
  function npType(field, what) {
    var d = npValue(field), max = parseInt(attr(field, 'data-np-max'), 10) || 20;
    if (what === 'del') { d = d.substr(0, d.length - 1); } else if (what === 'clear') { d = ''; } else if (d.length < max) { d += what; }
    npShow(field, d);
  }
  function npFieldFor(el) {
    if (!el) { return null; }
    if (attr(el, 'data-np') !== null) { return el; }
    return byId(attr(el, 'data-np-for'));
  }
  var fields = doc.querySelectorAll('[data-np]'), i, s = store(), saved;
  for (i = 0; i < fields.length; i++) {
    saved = s && s.getItem(keyFor(fields[i].id));
    if (saved !== null && saved !== undefined && /^\d*$/.test(saved)) { npShow(fields[i], saved); }
  }
  doc.addEventListener('remotekey', function (e) {
    var d = e.detail || {}, key = d.key || '', field = npFieldFor(d.element);
    if (field && key.indexOf('DIGIT_') === 0) { npType(field, key.charAt(6)); e.preventDefault(); }
  }, false);
  doc.addEventListener('click', function (e) {
    var el = e.target, field;
    while (el && el !== doc && attr(el, 'data-np-digit') === null) { el = el.parentNode; }
    if (!el || el === doc) { return; }
    field = npFieldFor(el);
    if (field) { npType(field, attr(el, 'data-np-digit')); }
  }, false);

  /* ---- hand-off fields: what the phone types appears here */
  function handoff(field) {
    var url = attr(field, 'data-ho-poll'), input = byId(attr(field, 'data-ho-input')),
      text = field.firstChild, ph = text && text.nextSibling, status = byId(field.id + '-status'),
      rev = -1, stopped = false, st = store(), kept = st && st.getItem(keyFor(field.id));
    function show(v) {
      if (input) { input.value = v; }
      setText(text, v);
      if (ph) { if (v) { ph.setAttribute('hidden', ''); } else { ph.removeAttribute('hidden'); } }
      if (st) { try { st.setItem(keyFor(field.id), v); } catch (e) { /* full */ } }
    }
    if (kept) { show(kept); }
    field.hoShow = show;
    function poll() {
      if (stopped) { return; }
      getJSON(url, function (data) {
        if (data.rev !== rev && (data.rev > 0 || !kept)) { rev = data.rev; show(data.value || ''); }
        if (data.done) {
          stopped = true;
          if (status) { setText(status, attr(doc.body, 'data-ho-done') || '\u2713'); }
          return;
        }
        win.setTimeout(poll, 1000);
      }, function () { win.setTimeout(poll, 5000); });
    }
    poll();
  }
  var hos = doc.querySelectorAll('[data-ho-poll]');
  for (i = 0; i < hos.length; i++) { handoff(hos[i]); }

  /* ---- the fallback keyboard: letters by multi-tap on the number keys, as on
     a phone keypad (2=abc ... 9=wxyz, 1=.@-_); RED deletes. For a box whose
     household has no phone at hand. */
  var TAPS = { '1': '.@-_1', '2': 'abc2', '3': 'def3', '4': 'ghi4', '5': 'jkl5',
    '6': 'mno6', '7': 'pqrs7', '8': 'tuv8', '9': 'wxyz9', '0': '0' }, tap = { key: '', at: 0, n: 0 };
  doc.addEventListener('remotekey', function (e) {
    var d = e.detail || {}, key = d.key || '', el = d.element, input, v, now, c, chars;
    if (!el || attr(el, 'data-ho-poll') === null || !el.hoShow) { return; }
    input = byId(attr(el, 'data-ho-input'));
    v = input ? input.value : '';
    if (key === 'RED') { el.hoShow(v.substr(0, v.length - 1)); tap.key = ''; e.preventDefault(); return; }
    if (key.indexOf('DIGIT_') !== 0) { return; }
    c = key.charAt(6);
    chars = TAPS[c];
    now = new Date().getTime();
    if (tap.key === c && now - tap.at < 1200 && v.length) {
      tap.n = (tap.n + 1) % chars.length;
      v = v.substr(0, v.length - 1) + chars.charAt(tap.n);
    } else if (v.length < 254) {
      tap.n = 0;
      v += chars.charAt(0);
    }
    tap.key = c;
    tap.at = now;
    el.hoShow(v);
    e.preventDefault();
  }, false);

  /* ---- connection: ``down`` only once /livez did not answer (the ticker
     asks when its stream failed without having just delivered) */
  var conn = { down: false, checking: false, shown: false, notice: null, pressed: null,
    heard: new Date().getTime() };  /* the last time the server answered (this page's load) */
  var STALE = 20000;  /* after this long without a word from the server, ask before loading */
  function live(ok, fail) {
    var x = new win.XMLHttpRequest();
    x.open('GET', '/livez?t=' + new Date().getTime(), true);
    x.onreadystatechange = function () {
      if (x.readyState !== 4) { return; }
      if (x.status >= 200 && x.status < 400) { ok(); } else { fail(); }
    };
    try { x.send(null); } catch (e) { fail(); }
  }
  function notice(text) {
    if (!conn.notice) {
      conn.notice = doc.createElement('div');
      conn.notice.id = 'tv-offline';
      conn.notice.className = 'tv-offline';
      conn.notice.setAttribute('role', 'alert');
      doc.body.appendChild(conn.notice);
    }
    if (text) { setText(conn.notice, text); conn.notice.removeAttribute('hidden'); } else { conn.notice.setAttribute('hidden', ''); }
  }
  function back() {  /* the server answers (again) */
    conn.down = false;
    conn.heard = new Date().getTime();
    if (conn.shown) {
      conn.shown = false;
      notice(attr(doc.body, 'data-online-text') || 'OK');
      win.setTimeout(function () { if (!conn.down) { notice(''); } }, 4000);
    }
  }
  function watch() {
    live(back, function () { win.setTimeout(watch, 2000); });
  }
  function check() {
    if (conn.down || conn.checking) { return; }
    conn.checking = true;
    live(function () { conn.checking = false; back(); },
      function () { conn.checking = false; conn.down = true; win.setTimeout(watch, 2000); });
  }
  win.TVConnection = {
    check: check,
    ok: function () { if (conn.down) { back(); } else { conn.heard = new Date().getTime(); } },
    suspected: function () { return conn.down; }
  };
  function guarded(e, go) {  /* a screen load while the server may be away: ask first */
    if (!conn.down && new Date().getTime() - conn.heard < STALE) { return; }
    e.preventDefault();
    live(function () { back(); notice(''); go(); }, function () {
      conn.shown = true;
      notice(attr(doc.body, 'data-offline-text') || 'Offline');
    });
  }
  doc.addEventListener('click', function (e) {
    var a = e.target;
    if (a && (a.type === 'submit' || a.type === 'image') && a.form) { conn.pressed = a; return; }
    while (a && a !== doc && !(a.tagName === 'A' && a.getAttribute('href'))) { a = a.parentNode; }
    if (!a || a === doc || e.defaultPrevented || a.getAttribute('href').charAt(0) === '#') { return; }
    guarded(e, function () { win.location.href = a.href; });
  }, true);
  doc.addEventListener('submit', function (e) {
    var form = e.target, btn = e.submitter || conn.pressed;
    if (e.defaultPrevented) { return; }
    guarded(e, function () {
      var h;
      if (btn && btn.name && btn.form === form) {  /* form.submit() leaves out the pressed button */
        h = doc.createElement('input');
        h.type = 'hidden';
        h.name = btn.name;
        h.value = btn.value;
        form.appendChild(h);
      }
      form.submit();
    });
  }, true);

  /* ---- pairing: poll every interval seconds (RFC 8628 3.5) */
  var pair = doc.querySelector('[data-pair-poll]');
  if (pair) {
    var interval = parseInt(attr(pair, 'data-pair-interval'), 10) || 5;
    var pollPair = function () {
      getJSON(attr(pair, 'data-pair-poll'), function (data) {
        if (data.status === 'paired') { win.location.href = data.next || '/tv/'; return; }
        if (data.status === 'expired_token') { win.location.reload(); return; }
        if (data.interval) { interval = data.interval; }  /* slow_down grows it */
        win.setTimeout(pollPair, interval * 1000);
      }, function () { win.setTimeout(pollPair, (interval + 5) * 1000); });
    };
    win.setTimeout(pollPair, interval * 1000);
  }
})(window, document);

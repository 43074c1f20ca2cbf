/* TV screens (ES5, after remote_nav.js); see tv/macros.html. Reads no layout. */
(function (win, doc) {
  'use strict';
  var i, s = store();
  function byId(id) { return id ? doc.getElementById(id) : null; }
  function attr(el, n) { return el && el.getAttribute ? el.getAttribute(n) : null; }
  function now() { return new Date().getTime(); }
  function store() { try { return win.sessionStorage || null; } catch (e) { return null; } }
  function keyFor(id) { return 'tv:' + (attr(doc.body, 'data-nav-scope') || win.location.pathname) + ':' + id; }
  function setText(el, text) { while (el.firstChild) { el.removeChild(el.firstChild); } el.appendChild(doc.createTextNode(text)); }
  function cookie(name) { var m = new RegExp('(?:^|;\\s*)' + name + '=([^;]*)').exec(doc.cookie || ''); return m && m[1]; }
  function get(url, done) {
    var x = new win.XMLHttpRequest();
    x.open('GET', url, true);
    x.setRequestHeader('Accept', 'application/json');
    x.onreadystatechange = function () { if (x.readyState === 4) { done(x.status, x.responseText); } };
    try { x.send(null); } catch (e) { done(0, ''); }
  }
  function getJSON(url, ok, fail) {
    get(url, function (status, text) {
      var data = null;
      try { data = win.JSON.parse(text); } catch (e) { data = null; }
      if (status === 200 && data) { ok(data); } else { fail(); }
    });
  }
  function show(field, v, text) {
    var input = byId(attr(field, 'data-np-input') || attr(field, 'data-ho-input')), ph = field.firstChild.nextSibling;
    if (input) { input.value = v; }
    setText(field.firstChild, text);
    if (ph) { if (v) { ph.setAttribute('hidden', ''); } else { ph.removeAttribute('hidden'); } }
    try { s.setItem(keyFor(field.id), v); } catch (e) { }
  }
  function valueOf(field) {
    var input = byId(attr(field, 'data-np-input') || attr(field, 'data-ho-input'));
    return input ? input.value : '';
  }

  var clock = byId('tv-clock'), t0 = now(), off = Math.max((Math.max(parseInt(attr(clock, 'data-now'), 10) || 0,
    parseInt(cookie('tv_now'), 10) || 0) || t0) - t0, parseFloat(s && s.tvClock) || -1e15); /* never back */
  if (s) { s.tvClock = off; }
  function tick() {
    var d = new Date(now() + off + 9 * 3600000);
    setText(clock, (100 + d.getUTCHours() + ':').substr(1) + (100 + d.getUTCMinutes() + '').substr(1));
  }
  if (clock) {
    tick();
    win.setInterval(tick, 20000);
  }

  var who = doc.querySelectorAll('.tv-who-name'), name = '';
  try { name = decodeURIComponent(cookie('tv_who') || ''); } catch (e) { name = ''; }
  for (i = 0; i < who.length; i++) { if (!who[i].firstChild) { setText(who[i], name); } }

  function group(d, kind) {
    var head = d.substr(0, 2) === '02' ? 2 : 3, rest = d.substr(head), cut;
    if (kind === 'card') { return d.replace(/(\d{4})(?=\d)/g, '$1-'); }
    if (kind !== 'phone' || !d) { return d; }
    if (d.charAt(0) === '1' && d.length <= 8) { return d.length <= 4 ? d : d.substr(0, 4) + '-' + d.substr(4); }
    if (!rest) { return d; }
    cut = rest.length <= 4 ? 9 : rest.length <= 7 ? 3 : 4;
    return d.substr(0, head) + '-' + rest.substr(0, cut) + (rest.length > cut ? '-' + rest.substr(cut) : '');
  }
  function npType(field, what) {
    var d = valueOf(field);
    if (attr(field, 'data-np-selected') !== null) { field.removeAttribute('data-np-selected'); d = ''; }
    if (what === 'del') { d = d.substr(0, d.length - 1); } else if (what === 'clear') { d = ''; } else if (d.length < (parseInt(attr(field, 'data-np-max'), 10) || 20)) { d += what; }
    show(field, d, group(d, attr(field, 'data-np')));
  }
  function npFieldFor(el) {
    var f = attr(el, 'data-np') !== null ? el : byId(attr(el, 'data-np-for'));
    if (!f && el && el.form) { f = el.form.querySelectorAll('[data-np]'); f = f.length === 1 ? f[0] : null; }
    return f;
  }
  var fields = doc.querySelectorAll('[data-np]'), saved;
  for (i = 0; i < fields.length; i++) {
    saved = s && s.getItem(keyFor(fields[i].id));
    if (saved !== null && /^\d*$/.test(saved) && attr(fields[i], 'autofocus') === null) { show(fields[i], saved, group(saved, attr(fields[i], 'data-np'))); }
  }
  doc.addEventListener('click', function (e) {
    var el = e.target, field;
    while (el && el !== doc && attr(el, 'data-np-digit') === null) { el = el.parentNode; }
    field = el && el !== doc && npFieldFor(el);
    if (field) { npType(field, attr(el, 'data-np-digit')); }
  }, false);

  function handoff(field) {
    var url = attr(field, 'data-ho-poll'), status = byId(field.id + '-status'), rev = -1,
      kept = s && s.getItem(keyFor(field.id));
    if (kept) { show(field, kept, kept); }
    function poll() {
      getJSON(url, function (data) {
        if (data.rev !== rev && (data.rev > 0 || !kept)) { rev = data.rev; show(field, data.value || '', data.value || ''); }
        if (!data.done) { return win.setTimeout(poll, 1000); }
        if (status) { setText(status, attr(doc.body, 'data-ho-done') || '\u2713'); }
      }, function () { win.setTimeout(poll, 5000); });
    }
    poll();
  }
  var hos = doc.querySelectorAll('[data-ho-poll]');
  for (i = 0; i < hos.length; i++) { handoff(hos[i]); }

  var TAPS = ['0', '.@-_1', 'abc2', 'def3', 'ghi4', 'jkl5', 'mno6', 'pqrs7', 'tuv8', 'wxyz9'],
    tap = { key: '', at: 0, n: 0 };
  doc.addEventListener('remotekey', function (e) {
    var d = e.detail || {}, key = d.key || '', el = d.element, digit = key.indexOf('DIGIT_') === 0 && key.charAt(6),
      field = el && npFieldFor(el), v, t, chars;
    if (field && digit) {
      if (field !== el) { win.RemoteNav.focus(field.id); }
      npType(field, digit);
      return e.preventDefault();
    }
    if (attr(el, 'data-ho-poll') === null) { return; }
    v = valueOf(el);
    t = now();
    if (key === 'RED') {
      v = v.substr(0, v.length - 1);
      tap.key = '';
    } else if (!digit) {
      return;
    } else if (tap.key === digit && t - tap.at < 1200 && v.length) {
      chars = TAPS[digit];
      tap.n = (tap.n + 1) % chars.length;
      v = v.substr(0, v.length - 1) + chars.charAt(tap.n);
    } else if (v.length < 254) {
      tap.n = 0;
      v += TAPS[digit].charAt(0);
    }
    if (digit) { tap.key = digit; tap.at = t; }
    show(el, v, v);
    e.preventDefault();
  }, false);

  var conn = { down: false, checking: false, shown: false, notice: null, pressed: null, heard: now() };
  function live(ok, fail) {
    get('/livez?t=' + now(), function (status) { if (status >= 200 && status < 400) { ok(); } else { fail(); } });
  }
  function notice(text) {
    var n = conn.notice;
    if (!n) {
      n = conn.notice = doc.body.appendChild(doc.createElement('div'));
      n.id = 'tv-offline';
      n.className = 'tv-offline';
      n.setAttribute('role', 'alert');
    }
    if (text) { setText(n, text); n.removeAttribute('hidden'); } else { n.setAttribute('hidden', ''); }
  }
  function back() {
    conn.down = false;
    conn.heard = now();
    if (conn.shown) {
      conn.shown = false;
      notice(attr(doc.body, 'data-online-text') || 'OK');
      win.setTimeout(function () { if (!conn.down) { notice(''); } }, 4000);
    }
  }
  function watch() { live(back, function () { win.setTimeout(watch, 2000); }); }
  win.TVConnection = {
    check: function () {
      if (conn.down || conn.checking) { return; }
      conn.checking = true;
      live(function () { conn.checking = false; back(); },
        function () { conn.checking = false; conn.down = true; win.setTimeout(watch, 2000); });
    },
    ok: function () { if (conn.down) { back(); } else { conn.heard = now(); } },
    suspected: function () { return conn.down; }
  };
  function guarded(e, go) {
    if (!conn.down && now() - conn.heard < 20000) { return; }
    e.preventDefault();
    live(function () { back(); notice(''); go(); }, function () {
      conn.shown = true;
      notice(attr(doc.body, 'data-offline-text') || 'Offline');
    });
  }
  doc.addEventListener('click', function (e) {
    var a = e.target;
    if (a && (a.type === 'submit' || a.type === 'image') && a.form) { conn.pressed = a; return; }
    while (a && a !== doc && !(a.tagName === 'A' && attr(a, 'href'))) { a = a.parentNode; }
    if (!a || a === doc || e.defaultPrevented || attr(a, 'href').charAt(0) === '#') { return; }
    guarded(e, function () { win.location.href = a.href; });
  }, true);
  doc.addEventListener('submit', function (e) {
    var form = e.target, btn = e.submitter || conn.pressed;
    if (e.defaultPrevented) { return; }
    guarded(e, function () {
      var h;
      if (btn && btn.name && btn.form === form) {
        h = doc.createElement('input');
        h.type = 'hidden';
        h.name = btn.name;
        h.value = btn.value;
        form.appendChild(h);
      }
      form.submit();
    });
  }, true);

  var pair = doc.querySelector('[data-pair-poll]'), interval = parseInt(attr(pair, 'data-pair-interval'), 10) || 5;
  function pollPair() {
    getJSON(attr(pair, 'data-pair-poll'), function (data) {
      if (data.status === 'paired') { win.location.href = data.next || '/tv/'; return; }
      if (data.status === 'expired_token') { win.location.reload(); return; }
      interval = data.interval || interval;
      win.setTimeout(pollPair, interval * 1000);
    }, function () { win.setTimeout(pollPair, (interval + 5) * 1000); });
  }
  if (pair) { win.setTimeout(pollPair, interval * 1000); }
})(window, document);

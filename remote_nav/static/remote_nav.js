/*
 * remote_nav.js: remote-control navigation for TV browsers (ES5, no framework).
 *
 * Follows the focus targets that remote_nav.annotate() rendered into the page
 * (data-nav-up/down/left/right, data-nav-entry, data-nav-number): no layout is
 * measured at key time. Turns raw key codes into logical keys with the device
 * maps below (generated from remote_nav/devices/*.json: python -m remote_nav.assets).
 *
 * API: RemoteNav.on(key, fn) / off(key, fn): fn(detail) for 'RED', 'OK', ...,
 *      '*' (every key), 'FOCUS', 'BUMP', 'EXIT'; return false to cancel the
 *      default action. A 'remotekey' DOM event (detail.key) bubbles from the
 *      focused element as well.
 *      RemoteNav.press(key), focus(id), current(), openModal(id), closeModal(),
 *      back(), setTextSize('large'), forget(), stats, device().
 */
(function (win, doc) {
  'use strict';

  var KEYMAPS = /*KEYMAPS-BEGIN*/[{"detect":{"globals":["oipfObjectFactory"],"userAgent":["HbbTV","OIPF","CE-HTML"]},"exit":"oipf","family":"hbbtv","keyset":287,"map":{"13":"OK","19":"PAUSE","37":"LEFT","38":"UP","39":"RIGHT","40":"DOWN","403":"RED","404":"GREEN","405":"YELLOW","406":"BLUE","412":"REWIND","413":"STOP","415":"PLAY","417":"FAST_FORWARD","457":"INFO","461":"BACK","48":"DIGIT_0","49":"DIGIT_1","50":"DIGIT_2","51":"DIGIT_3","52":"DIGIT_4","53":"DIGIT_5","54":"DIGIT_6","55":"DIGIT_7","56":"DIGIT_8","57":"DIGIT_9"}},{"detect":{"globals":["tizen"],"userAgent":["Tizen"]},"exit":"tizen","family":"tizen","map":{"10009":"BACK","13":"OK","19":"PAUSE","37":"LEFT","38":"UP","39":"RIGHT","40":"DOWN","403":"RED","404":"GREEN","405":"YELLOW","406":"BLUE","412":"REWIND","413":"STOP","415":"PLAY","417":"FAST_FORWARD","457":"INFO","48":"DIGIT_0","49":"DIGIT_1","50":"DIGIT_2","51":"DIGIT_3","52":"DIGIT_4","53":"DIGIT_5","54":"DIGIT_6","55":"DIGIT_7","56":"DIGIT_8","57":"DIGIT_9"},"register":{"0":"DIGIT_0","1":"DIGIT_1","2":"DIGIT_2","3":"DIGIT_3","4":"DIGIT_4","5":"DIGIT_5","6":"DIGIT_6","7":"DIGIT_7","8":"DIGIT_8","9":"DIGIT_9","ColorF0Red":"RED","ColorF1Green":"GREEN","ColorF2Yellow":"YELLOW","ColorF3Blue":"BLUE","Info":"INFO","MediaFastForward":"FAST_FORWARD","MediaPause":"PAUSE","MediaPlay":"PLAY","MediaRewind":"REWIND","MediaStop":"STOP"}},{"detect":{"globals":["webOS","PalmSystem"],"userAgent":["Web0S","webOS","NetCast"]},"exit":"webos","family":"webos","map":{"13":"OK","19":"PAUSE","37":"LEFT","38":"UP","39":"RIGHT","40":"DOWN","403":"RED","404":"GREEN","405":"YELLOW","406":"BLUE","412":"REWIND","413":"STOP","415":"PLAY","417":"FAST_FORWARD","457":"INFO","461":"BACK","48":"DIGIT_0","49":"DIGIT_1","50":"DIGIT_2","51":"DIGIT_3","52":"DIGIT_4","53":"DIGIT_5","54":"DIGIT_6","55":"DIGIT_7","56":"DIGIT_8","57":"DIGIT_9"}},{"detect":{"globals":[],"userAgent":["Maple"]},"exit":"maple","family":"maple","map":{"10":"DIGIT_6","101":"DIGIT_1","108":"RED","12":"DIGIT_7","13":"DIGIT_8","14":"DIGIT_9","17":"DIGIT_0","20":"GREEN","21":"YELLOW","22":"BLUE","29443":"OK","29460":"UP","29461":"DOWN","31":"INFO","4":"LEFT","5":"RIGHT","6":"DIGIT_3","69":"REWIND","70":"STOP","71":"PLAY","72":"FAST_FORWARD","74":"PAUSE","8":"DIGIT_4","88":"BACK","9":"DIGIT_5","98":"DIGIT_2"}},{"detect":{"globals":[],"userAgent":[]},"exit":"window","family":"keyboard","map":{"100":"DIGIT_4","101":"DIGIT_5","102":"DIGIT_6","103":"DIGIT_7","104":"DIGIT_8","105":"DIGIT_9","112":"RED","113":"GREEN","114":"YELLOW","115":"BLUE","13":"OK","19":"PAUSE","27":"BACK","37":"LEFT","38":"UP","39":"RIGHT","40":"DOWN","403":"RED","404":"GREEN","405":"YELLOW","406":"BLUE","412":"REWIND","413":"STOP","415":"PLAY","417":"FAST_FORWARD","457":"INFO","461":"BACK","48":"DIGIT_0","49":"DIGIT_1","50":"DIGIT_2","51":"DIGIT_3","52":"DIGIT_4","53":"DIGIT_5","54":"DIGIT_6","55":"DIGIT_7","56":"DIGIT_8","57":"DIGIT_9","8":"BACK","96":"DIGIT_0","97":"DIGIT_1","98":"DIGIT_2","99":"DIGIT_3"}}]/*KEYMAPS-END*/;

  var DIRS = { UP: 'up', DOWN: 'down', LEFT: 'left', RIGHT: 'right' };
  var COLOURS = { RED: 1, GREEN: 1, YELLOW: 1, BLUE: 1 };
  var VK = { LEFT: 'LEFT', UP: 'UP', RIGHT: 'RIGHT', DOWN: 'DOWN', ENTER: 'OK', BACK: 'BACK',
    RED: 'RED', GREEN: 'GREEN', YELLOW: 'YELLOW', BLUE: 'BLUE', PLAY: 'PLAY', PAUSE: 'PAUSE',
    STOP: 'STOP', REWIND: 'REWIND', FAST_FWD: 'FAST_FORWARD', INFO: 'INFO' };
  var FOCUSABLE = 'a[href],button,input,select,textarea,[data-nav-focusable],[tabindex]';
  var STYLE = '.rn-bump-left{-webkit-transform:translateX(-10px);transform:translateX(-10px)}' +
    '.rn-bump-right{-webkit-transform:translateX(10px);transform:translateX(10px)}' +
    '.rn-bump-up{-webkit-transform:translateY(-10px);transform:translateY(-10px)}' +
    '.rn-bump-down{-webkit-transform:translateY(10px);transform:translateY(10px)}' +
    '.rn-legend{position:fixed;left:64px;bottom:36px;font-size:30px;line-height:40px;z-index:900}' +
    '.rn-legend span{display:inline-block;margin-right:40px}' +
    '.rn-legend i{display:inline-block;width:30px;height:30px;border-radius:6px;' +
    'margin-right:10px;vertical-align:middle}' +
    '.rn-red i{background:#e0201b}.rn-green i{background:#23a046}' +
    '.rn-yellow i{background:#f5d000}.rn-blue i{background:#2a64d8}' +
    '.rn-dialog{position:fixed;left:320px;top:180px;width:560px;padding:40px;z-index:1000;' +
    'background:#1b2633;color:#fff;border:4px solid #ffd400;font-size:34px;text-align:center}' +
    '.rn-dialog[hidden]{display:none}' +
    '.rn-dialog button{font-size:32px;margin:24px 16px 0;padding:12px 36px}' +
    '.rn-dialog button.rn-focus{outline:6px solid #ffd400}';

  var cfg = win.RemoteNavConfig || {};
  var state = {
    map: {}, device: null, current: null, memory: {}, modal: null, back: null,
    swallow: false, lastMove: -1e9, throttle: cfg.throttle || 120, handlers: {}, started: false, app: null,
    settling: false
  };
  var stats = { keys: 0, moves: 0, bumps: 0, dropped: 0 };
  var clock = function () { return new Date().getTime(); };

  /* ------------------------------------------------------------ helpers */
  function attr(el, name) { return el && el.getAttribute ? el.getAttribute(name) : null; }
  function has(el, name) { return attr(el, name) !== null; }
  function byId(id) { return id ? doc.getElementById(id) : null; }
  function hasClass(el, c) { return (' ' + el.className + ' ').indexOf(' ' + c + ' ') >= 0; }
  function addClass(el, c) { if (!hasClass(el, c)) { el.className = (el.className ? el.className + ' ' : '') + c; } }
  function removeClass(el, c) {
    if (el && el.className) {
      el.className = (' ' + el.className + ' ').replace(' ' + c + ' ', ' ').replace(/^\s+|\s+$/g, '');
    }
  }
  function root() { return doc.querySelector('[data-nav-screen]') || doc.body; }
  function contains(outer, el) {
    while (el) { if (el === outer) { return true; } el = el.parentNode; }
    return false;
  }
  function closest(el, name) {
    while (el && el.getAttribute) { if (has(el, name)) { return el; } el = el.parentNode; }
    return null;
  }
  function usable(el) {
    return !!el && !el.disabled && !has(el, 'data-nav-skip') && contains(doc.body, el);
  }
  function storage(kind) { try { return win[kind] || null; } catch (e) { return null; } }
  function pageKey() { return 'rn:' + win.location.pathname + win.location.search; }

  /* ------------------------------------------------------------ devices */
  function present(name) {
    try { return typeof win[name] !== 'undefined' && win[name] !== null; } catch (e) { return false; }
  }
  function detect(ua) {
    var i, j, d, want = cfg.device || attr(doc.documentElement, 'data-nav-device');
    for (i = 0; i < KEYMAPS.length; i++) { if (KEYMAPS[i].family === want) { return KEYMAPS[i]; } }
    for (i = 0; i < KEYMAPS.length; i++) {
      d = KEYMAPS[i].detect.globals;
      for (j = 0; j < d.length; j++) { if (present(d[j])) { return KEYMAPS[i]; } }
    }
    for (i = 0; i < KEYMAPS.length; i++) {
      d = KEYMAPS[i].detect.userAgent;
      for (j = 0; j < d.length; j++) { if (ua.indexOf(d[j]) >= 0) { return KEYMAPS[i]; } }
    }
    return KEYMAPS[KEYMAPS.length - 1];
  }
  function useDevice(dev) {
    var code, name, k;
    state.device = dev;
    state.map = {};
    for (code in dev.map) { if (dev.map.hasOwnProperty(code)) { state.map[code] = dev.map[code]; } }
    if (dev.family === 'hbbtv' && win.KeyEvent) {  /* the box's own VK_* constants win */
      for (name in VK) {
        if (VK.hasOwnProperty(name) && typeof win.KeyEvent['VK_' + name] === 'number') {
          state.map[win.KeyEvent['VK_' + name]] = VK[name];
        }
      }
    }
    if (dev.keyset) { requestKeyset(dev.keyset); }
    if (dev.register && present('tizen')) {
      for (name in dev.register) {
        if (dev.register.hasOwnProperty(name)) {
          try {
            win.tizen.tvinputdevice.registerKey(name);
            k = win.tizen.tvinputdevice.getKey(name);
            if (k && k.code) { state.map[k.code] = dev.register[name]; }
          } catch (e) { /* key not on this remote */ }
        }
      }
    }
  }
  function requestKeyset(mask) {
    var mgr, obj;
    try {
      mgr = doc.querySelector('object[type="application/oipfApplicationManager"]');
      if (!mgr && win.oipfObjectFactory && win.oipfObjectFactory.createApplicationManagerObject) {
        mgr = win.oipfObjectFactory.createApplicationManagerObject();
      }
      if (!mgr) {
        obj = doc.createElement('object');
        obj.setAttribute('type', 'application/oipfApplicationManager');
        obj.style.cssText = 'position:absolute;left:0;top:0;width:0;height:0';
        doc.body.appendChild(obj);
        mgr = obj;
      }
      state.app = mgr.getOwnerApplication(doc);
      state.app.privateData.keyset.setValue(mask);
      if (state.app.show) { state.app.show(); }
    } catch (e) { /* not an HbbTV browser after all */ }
  }

  /* ------------------------------------------------------------ events */
  function on(key, fn) { (state.handlers[key] = state.handlers[key] || []).push(fn); }
  function off(key, fn) {
    var list = state.handlers[key] || [], i;
    for (i = list.length - 1; i >= 0; i--) { if (list[i] === fn) { list.splice(i, 1); } }
  }
  function emit(name, detail, dom) {
    var lists = [state.handlers[name] || [], dom ? state.handlers['*'] || [] : []];
    var ok = true, i, j, ev;
    for (i = 0; i < lists.length; i++) {
      for (j = 0; j < lists[i].length; j++) { if (lists[i][j](detail) === false) { ok = false; } }
    }
    if (dom) {
      try {
        ev = doc.createEvent('CustomEvent');
        ev.initCustomEvent('remotekey', true, true, detail);
      } catch (e) {
        ev = doc.createEvent('Event');
        ev.initEvent('remotekey', true, true);
        ev.detail = detail;
      }
      if (!(detail.element || doc.body).dispatchEvent(ev)) { ok = false; }
    }
    return ok;
  }

  /* ------------------------------------------------------------ focus */
  function current() {
    var el = byId(state.current);
    return usable(el) ? el : null;
  }
  function resolve(el) {
    var mem;
    if (!el) { return null; }
    if (has(el, 'data-nav-container') || has(el, 'data-nav-modal')) {
      mem = attr(el, 'data-nav-remember');  /* containers remember, dialogs do not */
      mem = (has(el, 'data-nav-modal') ? mem === 'true' : mem !== 'false') ? byId(state.memory[el.id]) : null;
      if (mem && usable(mem) && contains(el, mem)) { return mem; }
      return resolve(byId(attr(el, 'data-nav-entry')));
    }
    return usable(el) ? el : null;
  }
  function remember(el) {
    var p = el.parentNode;
    while (p && p.getAttribute) {
      if (p.id && (has(p, 'data-nav-container') || has(p, 'data-nav-modal'))) { state.memory[p.id] = el.id; }
      p = p.parentNode;
    }
  }
  function save() {
    var s = storage('sessionStorage');
    if (s && win.JSON) {
      try { s.setItem(pageKey(), win.JSON.stringify({ f: state.current, m: state.memory })); } catch (e) { /* full */ }
    }
  }
  function focus(el) {
    var prev = byId(state.current);
    if (!el) { return false; }
    if (prev && prev !== el) { removeClass(prev, 'rn-focus'); }
    state.current = el.id;
    addClass(el, 'rn-focus');
    if (el.focus) { el.focus(); }
    remember(el);
    save();
    stats.moves++;
    emit('FOCUS', { key: 'FOCUS', element: el, id: el.id });
    return true;
  }
  function bump(el, dir) {
    var c = 'rn-bump-' + (dir || 'down');
    stats.bumps++;
    emit('BUMP', { key: 'BUMP', element: el, direction: dir });
    if (!el) { return; }
    addClass(el, c);
    win.setTimeout(function () { removeClass(el, c); }, 200);
  }
  function move(dir) {
    var el = current(), target;
    if (!el) { return focusInitial(); }
    target = resolve(byId(attr(el, 'data-nav-' + dir)));
    if (target) { focus(target); } else { bump(el, dir); }
  }
  function firstFocusable(scope) {
    var list = scope.querySelectorAll(FOCUSABLE), i;
    for (i = 0; i < list.length; i++) {
      if (list[i].id && usable(list[i]) && !closest(list[i], 'data-nav-modal') &&
          (attr(list[i], 'tabindex') !== '-1' || has(list[i], 'data-nav-focusable'))) {
        return list[i];
      }
    }
    return null;
  }
  function focusInitial() {
    var r = root();
    return focus(resolve(byId(attr(r, 'data-nav-initial'))) || firstFocusable(r));
  }
  function restore() {
    var s = storage('sessionStorage'), data = null, el;
    if (s && win.JSON) { try { data = win.JSON.parse(s.getItem(pageKey()) || 'null'); } catch (e) { data = null; } }
    if (data && data.m) { state.memory = data.m; }
    el = data && byId(data.f);
    if (el && usable(el) && !closest(el, 'data-nav-modal')) { return focus(el); }
    return focusInitial();
  }

  /* ------------------------------------------------------------ actions */
  function click(el) {
    var ev;
    if (typeof el.click === 'function') { el.click(); return; }
    ev = doc.createEvent('MouseEvents');
    ev.initMouseEvent('click', true, true, win, 1, 0, 0, 0, 0, false, false, false, false, 0, null);
    if (el.dispatchEvent(ev) && el.href) { win.location.href = el.href; }
  }
  function activate(el) { if (el && !editable(el)) { click(el); } }
  function scope() { return state.modal || root(); }
  function menuFor(el) {
    var m = closest(el, 'data-nav-menu'), list, i;
    if (m && contains(scope(), m)) { return m; }
    list = scope().querySelectorAll('[data-nav-menu]');
    for (i = 0; i < list.length; i++) {
      if (state.modal || !closest(list[i], 'data-nav-modal')) { return list[i]; }
    }
    return null;
  }
  function digit(n) {
    var menu = menuFor(current()), item = menu && menu.querySelector('[data-nav-number="' + n + '"]');
    if (!item) { return bump(current()); }
    focus(item);
    if (attr(menu, 'data-nav-menu') !== 'focus') { activate(item); }
  }
  function colour(key) {
    var el = scope().querySelector('[data-nav-key="' + key + '"]');
    if (el && usable(el)) { activate(el); }
  }
  function openModal(idOrEl) {
    var el = typeof idOrEl === 'string' ? byId(idOrEl) : idOrEl;
    if (!el) { return; }
    if (!state.modal) { state.back = state.current; }
    el.removeAttribute('hidden');
    state.modal = el;
    focus(resolve(el) || firstFocusable(el));
  }
  function closeModal() {
    var el = state.modal;
    if (!el) { return; }
    el.setAttribute('hidden', '');
    state.modal = null;
    if (!focus(resolve(byId(state.back)))) { focusInitial(); }
  }
  function button(id, text) {
    var b = doc.createElement('button');
    b.id = id;
    b.appendChild(doc.createTextNode(text));
    return b;
  }
  function confirmExit() {
    var r = root(), box = byId('rn-exit'), p, yes, no;
    if (!box) {
      box = doc.createElement('div');
      box.id = 'rn-exit';
      box.className = 'rn-dialog';
      box.setAttribute('data-nav-modal', '');
      box.setAttribute('role', 'alertdialog');
      p = doc.createElement('p');
      p.appendChild(doc.createTextNode(attr(r, 'data-nav-exit-text') || 'Exit the service?'));
      yes = button('rn-exit-yes', attr(r, 'data-nav-exit-yes') || 'Exit');
      no = button('rn-exit-no', attr(r, 'data-nav-exit-no') || 'Stay');
      yes.setAttribute('data-nav-right', 'rn-exit-no');
      no.setAttribute('data-nav-left', 'rn-exit-yes');
      box.setAttribute('data-nav-entry', 'rn-exit-no');
      yes.onclick = exit;
      no.onclick = closeModal;
      box.appendChild(p);
      box.appendChild(yes);
      box.appendChild(no);
      doc.body.appendChild(box);
    }
    openModal(box);
  }
  function exit() {
    var how = state.device && state.device.exit;
    if (!emit('EXIT', { key: 'EXIT', element: current() })) { return; }
    try {
      if (how === 'oipf' && state.app) { state.app.destroyApplication(); return; }
      if (how === 'tizen') { win.tizen.application.getCurrentApplication().exit(); return; }
      if (how === 'webos' && win.webOS && win.webOS.platformBack) { win.webOS.platformBack(); return; }
      if (how === 'maple' && win.Common) { new win.Common.API.Widget().sendExitEvent(); return; }
    } catch (e) { /* fall back to closing the window */ }
    win.close();
  }
  function back() {
    var r = root(), parent = attr(r, 'data-nav-parent');
    if (state.modal) { return closeModal(); }
    if (has(r, 'data-nav-home')) { return confirmExit(); }
    save();
    if (parent && parent !== 'history') { win.location.href = parent; } else { win.history.back(); }
  }

  /* ------------------------------------------------------------ keys */
  function editable(el) {
    var t = el && el.tagName ? el.tagName.toLowerCase() : '';
    return t === 'textarea' || t === 'input' && !/^(button|submit|reset|checkbox|radio|image|file|range|color)$/i.test(el.type || '');
  }
  function caretAt(el, end) {
    try { return end ? el.selectionEnd >= el.value.length : el.selectionStart === 0; } catch (e) { return true; }
  }
  function native(key, code, el) {  /* keys an input field keeps for itself */
    if (!editable(el)) { return false; }
    if (key.indexOf('DIGIT_') === 0 || key === 'OK') { return true; }
    if (key === 'LEFT') { return !caretAt(el, false); }
    if (key === 'RIGHT') { return !caretAt(el, true); }
    return key === 'BACK' && code === 8 && !!el.value;
  }
  function handle(key, code) {
    var el = current(), detail = { key: key, code: code, element: el, id: el ? el.id : null };
    if (!emit(key, detail, true)) { return; }
    if (DIRS[key]) {
      move(DIRS[key]);
    } else if (key === 'OK') {
      activate(el);
    } else if (key === 'BACK') {
      back();
    } else if (key.indexOf('DIGIT_') === 0) {
      digit(key.charAt(6));
    } else if (COLOURS[key]) {
      colour(key);
    }
  }
  function press(key, code) {
    var now;
    stats.keys++;
    if (DIRS[key]) {
      now = clock();
      if (now - state.lastMove < state.throttle) { stats.dropped++; return false; }
      state.lastMove = now;
    } else if (state.settling && key !== 'BACK') {  /* an impatient press meant for the screen before */
      stats.dropped++;
      return false;
    }
    handle(key, code || 0);
    return true;
  }
  function onKeyDown(e) {
    var code = e.keyCode || e.which, key = state.map[code], active = doc.activeElement;
    state.swallow = false;
    if (!key) { return; }
    if (active && active.id && active.id !== state.current && usable(active)) { state.current = active.id; }
    if (native(key, code, active)) { return; }
    stop(e);
    state.swallow = true;
    press(key, code);
  }
  function stop(e) {
    if (e.preventDefault) { e.preventDefault(); }
    e.returnValue = false;
  }
  function onKeyPress(e) {  /* old Opera acts on keypress even when keydown was cancelled */
    if (state.swallow) { stop(e); }
  }
  function onKeyUp() { state.swallow = false; }
  function onMouseOver(e) {  /* pointer remotes (LG Magic Remote) */
    var el = e.target, i;
    for (i = 0; el && i < 4; i++, el = el.parentNode) {
      if (el.id && el.getAttribute && (has(el, 'data-nav-up') || has(el, 'data-nav-down') || has(el, 'data-nav-left') || has(el, 'data-nav-right'))) {
        if (el.id !== state.current && (!state.modal || contains(state.modal, el))) { focus(el); }
        return;
      }
    }
  }

  /* ------------------------------------------------------------ setup */
  function legend() {
    var r = root(), keys = (attr(r, 'data-nav-colors') || '').split(/[\s,;]+/), box, i, k, span, label;
    if (byId('rn-legend')) { return; }
    box = doc.querySelector('[data-nav-legend]');
    for (i = 0; i < keys.length; i++) {
      k = keys[i].toLowerCase();
      label = attr(r, 'data-nav-label-' + k);
      if (!k || !label) { continue; }
      if (!box) {
        box = doc.createElement('div');
        box.className = 'rn-legend';
        doc.body.appendChild(box);
      }
      box.id = box.id || 'rn-legend';
      span = doc.createElement('span');
      span.className = 'rn-' + k;
      span.appendChild(doc.createElement('i'));
      span.appendChild(doc.createTextNode(label));
      box.appendChild(span);
    }
  }
  function injectStyle() {
    var s;
    if (byId('rn-style') || has(doc.documentElement, 'data-nav-no-style')) { return; }
    s = doc.createElement('style');
    s.id = 'rn-style';
    s.appendChild(doc.createTextNode(STYLE));
    (doc.head || doc.getElementsByTagName('head')[0]).insertBefore(s, (doc.head || doc.getElementsByTagName('head')[0]).firstChild);
  }
  function setTextSize(size, keep) {
    var html = doc.documentElement, s = storage('localStorage');
    html.className = (html.className || '').replace(/(^|\s)rn-text-\S+/g, '').replace(/^\s+/, '');
    if (size && size !== 'normal') { addClass(html, 'rn-text-' + size); }
    if (s && !keep) { try { s.setItem('rn:textSize', size || 'normal'); } catch (e) { /* ignore */ } }
  }
  function settle(ms) {  /* a result screen ignores OK, digits and colours for its first moments */
    if (ms > 0) {
      state.settling = true;
      win.setTimeout(function () { state.settling = false; }, ms);
    }
  }
  function start() {
    var s = storage('localStorage'), size;
    if (state.started || !doc.body) { return; }
    state.started = true;
    useDevice(detect(win.navigator.userAgent || ''));
    injectStyle();
    size = s && s.getItem('rn:textSize');
    if (size && !/(^|\s)rn-text-/.test(doc.documentElement.className)) { setTextSize(size, true); }
    legend();
    settle(parseInt(attr(root(), 'data-nav-settle') || '0', 10));
    doc.addEventListener('keydown', onKeyDown, true);
    doc.addEventListener('keypress', onKeyPress, true);
    doc.addEventListener('keyup', onKeyUp, true);
    doc.addEventListener('mouseover', onMouseOver, false);
    restore();
  }

  win.RemoteNav = {
    version: '1.0',
    stats: stats,
    on: on,
    off: off,
    press: function (key) { return press(key, 0); },
    focus: function (id) { return focus(resolve(byId(id))); },
    current: function () { return state.current; },
    settled: function () { return !state.settling; },
    openModal: openModal,
    closeModal: closeModal,
    back: back,
    exit: exit,
    setTextSize: setTextSize,
    keyFor: function (code) { return state.map[code] || null; },
    device: function () { return state.device ? state.device.family : null; },
    setClock: function (fn) { clock = fn; state.lastMove = -1e9; },
    memory: function () { return state.memory; },
    forget: function () { state.memory = {}; save(); },
    start: start
  };
  if (cfg.autoStart !== false) {
    if (doc.readyState === 'loading') {
      doc.addEventListener('DOMContentLoaded', start, false);
      win.addEventListener('load', start, false);
    } else {
      start();
    }
  }
}(window, document));

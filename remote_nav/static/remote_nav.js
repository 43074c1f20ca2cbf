/* remote_nav.js (ES5): follows the targets remote_nav rendered; see README.md */
(function (win, doc) {
  'use strict';

  var KEYMAPS = /*KEYMAPS-BEGIN*/[{"detect":{"globals":["oipfObjectFactory"],"userAgent":["HbbTV","OIPF","CE-HTML"]},"exit":"oipf","family":"hbbtv","keyset":287,"map":{"13":"OK","19":"PAUSE","37":"LEFT","38":"UP","39":"RIGHT","40":"DOWN","403":"RED","404":"GREEN","405":"YELLOW","406":"BLUE","412":"REWIND","413":"STOP","415":"PLAY","417":"FAST_FORWARD","457":"INFO","461":"BACK","48":"DIGIT_0","49":"DIGIT_1","50":"DIGIT_2","51":"DIGIT_3","52":"DIGIT_4","53":"DIGIT_5","54":"DIGIT_6","55":"DIGIT_7","56":"DIGIT_8","57":"DIGIT_9"}},{"detect":{"globals":["tizen"],"userAgent":["Tizen"]},"exit":"tizen","family":"tizen","map":{"10009":"BACK","13":"OK","19":"PAUSE","37":"LEFT","38":"UP","39":"RIGHT","40":"DOWN","403":"RED","404":"GREEN","405":"YELLOW","406":"BLUE","412":"REWIND","413":"STOP","415":"PLAY","417":"FAST_FORWARD","457":"INFO","48":"DIGIT_0","49":"DIGIT_1","50":"DIGIT_2","51":"DIGIT_3","52":"DIGIT_4","53":"DIGIT_5","54":"DIGIT_6","55":"DIGIT_7","56":"DIGIT_8","57":"DIGIT_9"},"register":{"0":"DIGIT_0","1":"DIGIT_1","2":"DIGIT_2","3":"DIGIT_3","4":"DIGIT_4","5":"DIGIT_5","6":"DIGIT_6","7":"DIGIT_7","8":"DIGIT_8","9":"DIGIT_9","ColorF0Red":"RED","ColorF1Green":"GREEN","ColorF2Yellow":"YELLOW","ColorF3Blue":"BLUE","Info":"INFO","MediaFastForward":"FAST_FORWARD","MediaPause":"PAUSE","MediaPlay":"PLAY","MediaRewind":"REWIND","MediaStop":"STOP"}},{"detect":{"globals":["webOS","PalmSystem"],"userAgent":["Web0S","webOS","NetCast"]},"exit":"webos","family":"webos","map":{"13":"OK","19":"PAUSE","37":"LEFT","38":"UP","39":"RIGHT","40":"DOWN","403":"RED","404":"GREEN","405":"YELLOW","406":"BLUE","412":"REWIND","413":"STOP","415":"PLAY","417":"FAST_FORWARD","457":"INFO","461":"BACK","48":"DIGIT_0","49":"DIGIT_1","50":"DIGIT_2","51":"DIGIT_3","52":"DIGIT_4","53":"DIGIT_5","54":"DIGIT_6","55":"DIGIT_7","56":"DIGIT_8","57":"DIGIT_9"}},{"detect":{"globals":[],"userAgent":["Maple"]},"exit":"maple","family":"maple","map":{"10":"DIGIT_6","101":"DIGIT_1","108":"RED","12":"DIGIT_7","13":"DIGIT_8","14":"DIGIT_9","17":"DIGIT_0","20":"GREEN","21":"YELLOW","22":"BLUE","29443":"OK","29460":"UP","29461":"DOWN","31":"INFO","4":"LEFT","5":"RIGHT","6":"DIGIT_3","69":"REWIND","70":"STOP","71":"PLAY","72":"FAST_FORWARD","74":"PAUSE","8":"DIGIT_4","88":"BACK","9":"DIGIT_5","98":"DIGIT_2"}},{"detect":{"globals":[],"userAgent":[]},"exit":"window","family":"keyboard","map":{"100":"DIGIT_4","101":"DIGIT_5","102":"DIGIT_6","103":"DIGIT_7","104":"DIGIT_8","105":"DIGIT_9","112":"RED","113":"GREEN","114":"YELLOW","115":"BLUE","13":"OK","19":"PAUSE","27":"BACK","37":"LEFT","38":"UP","39":"RIGHT","40":"DOWN","403":"RED","404":"GREEN","405":"YELLOW","406":"BLUE","412":"REWIND","413":"STOP","415":"PLAY","417":"FAST_FORWARD","457":"INFO","461":"BACK","48":"DIGIT_0","49":"DIGIT_1","50":"DIGIT_2","51":"DIGIT_3","52":"DIGIT_4","53":"DIGIT_5","54":"DIGIT_6","55":"DIGIT_7","56":"DIGIT_8","57":"DIGIT_9","8":"BACK","96":"DIGIT_0","97":"DIGIT_1","98":"DIGIT_2","99":"DIGIT_3"}}]/*KEYMAPS-END*/;

  var DIRS = { UP: 'up', DOWN: 'down', LEFT: 'left', RIGHT: 'right' };
  var COLOURS = { RED: 1, GREEN: 1, YELLOW: 1, BLUE: 1 };
  var VK = { LEFT: 'LEFT', UP: 'UP', RIGHT: 'RIGHT', DOWN: 'DOWN', ENTER: 'OK', BACK: 'BACK',
    RED: 'RED', GREEN: 'GREEN', YELLOW: 'YELLOW', BLUE: 'BLUE', PLAY: 'PLAY', PAUSE: 'PAUSE',
    STOP: 'STOP', REWIND: 'REWIND', FAST_FWD: 'FAST_FORWARD', INFO: 'INFO' };
  var cfg = win.RemoteNavConfig || {};
  var state = { map: {}, device: null, current: null, memory: {}, modal: null, back: null, swallow: false,
    lastMove: -1e9, throttle: cfg.throttle || 120, handlers: {}, started: false, app: null, settling: false };
  var stats = { keys: 0, moves: 0, bumps: 0, dropped: 0 };
  var clock = function () { return new Date().getTime(); };

  function attr(el, name) { return el && el.getAttribute ? el.getAttribute(name) : null; }
  function has(el, name) { return attr(el, name) !== null; }
  function byId(id) { return id ? doc.getElementById(id) : null; }
  function addClass(el, c) { if ((' ' + el.className + ' ').indexOf(' ' + c + ' ') < 0) { el.className = (el.className ? el.className + ' ' : '') + c; } }
  function removeClass(el, c) {
    if (el && el.className) { el.className = (' ' + el.className + ' ').replace(' ' + c + ' ', ' ').replace(/^\s+|\s+$/g, ''); }
  }
  function root() { return doc.querySelector('[data-nav-screen]') || doc.body; }
  function contains(outer, el) {
    while (el && el !== outer) { el = el.parentNode; }
    return !!el;
  }
  function closest(el, name) {
    while (el && el.getAttribute && !has(el, name)) { el = el.parentNode; }
    return el && el.getAttribute ? el : null;
  }
  function isBox(el) { return has(el, 'data-nav-container') || has(el, 'data-nav-modal'); }
  function usable(el) { return !!el && !el.disabled && !has(el, 'data-nav-skip') && contains(doc.body, el); }
  function storage(kind) { try { return win[kind] || null; } catch (e) { return null; } }
  function pageKey() { var k = attr(root(), 'data-nav-scope'); return 'rn:' + win.location.pathname + win.location.search + (k ? '#' + k : ''); }

  function present(name) {
    try { return win[name] !== undefined && win[name] !== null; } catch (e) { return false; }
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
    var code, name, k, ke = win.KeyEvent;
    state.device = dev;
    for (code in dev.map) { if (dev.map.hasOwnProperty(code)) { state.map[code] = dev.map[code]; } }
    for (name in dev.family === 'hbbtv' && ke ? VK : {}) {
      if (typeof ke['VK_' + name] === 'number') { state.map[ke['VK_' + name]] = VK[name]; }
    }
    if (dev.keyset) { requestKeyset(dev.keyset); }
    for (name in dev.register || {}) {
      try {
        win.tizen.tvinputdevice.registerKey(name);
        k = win.tizen.tvinputdevice.getKey(name);
        if (k && k.code) { state.map[k.code] = dev.register[name]; }
      } catch (e) { }
    }
  }
  function requestKeyset(mask) {
    var mgr, f = win.oipfObjectFactory;
    try {
      mgr = doc.querySelector('object[type="application/oipfApplicationManager"]');
      if (!mgr && f && f.createApplicationManagerObject) { mgr = f.createApplicationManagerObject(); }
      if (!mgr) {
        mgr = doc.body.appendChild(doc.createElement('object'));
        mgr.style.cssText = 'position:absolute;left:0;top:0;width:0;height:0';
        mgr.setAttribute('type', 'application/oipfApplicationManager');
      }
      state.app = mgr.getOwnerApplication(doc);
      state.app.privateData.keyset.setValue(mask);
      if (state.app.show) { state.app.show(); }
    } catch (e) { }
  }

  function on(key, fn) { (state.handlers[key] = state.handlers[key] || []).push(fn); }
  function off(key, fn) {
    var list = state.handlers[key] || [], i;
    for (i = list.length - 1; i >= 0; i--) { if (list[i] === fn) { list.splice(i, 1); } }
  }
  function emit(name, detail, dom) {
    var list = (state.handlers[name] || []).concat(dom && state.handlers['*'] || []), ok = true, i, ev;
    for (i = 0; i < list.length; i++) { if (list[i](detail) === false) { ok = false; } }
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

  function current() {
    var el = byId(state.current);
    return usable(el) ? el : null;
  }
  function resolve(el) {
    var mem;
    if (!isBox(el)) { return usable(el) ? el : null; }
    mem = attr(el, 'data-nav-remember');
    mem = (has(el, 'data-nav-modal') ? mem === 'true' : mem !== 'false') && byId(state.memory[el.id]);
    return mem && usable(mem) && contains(el, mem) ? mem : resolve(byId(attr(el, 'data-nav-entry')));
  }
  function save() {
    try { storage('sessionStorage').setItem(pageKey(), win.JSON.stringify({ f: state.current, m: state.memory })); } catch (e) { }
  }
  function focus(el) {
    var prev = byId(state.current), p;
    if (!el) { return false; }
    if (prev && prev !== el) { removeClass(prev, 'rn-focus'); }
    state.current = el.id;
    addClass(el, 'rn-focus');
    if (el.focus) { el.focus(); }
    for (p = el.parentNode; p && p.getAttribute; p = p.parentNode) {
      if (p.id && isBox(p)) { state.memory[p.id] = el.id; }
    }
    save();
    stats.moves++;
    emit('FOCUS', { key: 'FOCUS', element: el, id: el.id });
    return true;
  }
  function bump(el, dir) {
    var c = 'rn-bump-' + (dir || 'down');
    stats.bumps++;
    emit('BUMP', { key: 'BUMP', element: el, direction: dir });
    if (el) {
      addClass(el, c);
      win.setTimeout(function () { removeClass(el, c); }, 200);
    }
  }
  function move(dir) {
    var el = current(), to = el && resolve(byId(attr(el, 'data-nav-' + dir)));
    if (!el) { return focusInitial(); }
    if (to) { focus(to); } else { bump(el, dir); }
  }
  function focusInitial() { return focus(resolve(byId(attr(root(), 'data-nav-initial')))); }
  function restore() {
    var data = null, el;
    try { data = win.JSON.parse(storage('sessionStorage').getItem(pageKey()) || 'null'); } catch (e) { data = null; }
    if (data && data.m) { state.memory = data.m; }
    el = data && byId(data.f);
    if (has(byId(attr(root(), 'data-nav-initial')), 'autofocus')) { el = null; }
    return usable(el) && !closest(el, 'data-nav-modal') ? focus(el) : focusInitial();
  }

  function activate(el) {
    var ev;
    if (!el || editable(el)) { return; }
    if (typeof el.click === 'function') { return el.click(); }
    ev = doc.createEvent('MouseEvents');
    ev.initMouseEvent('click', true, true, win, 1, 0, 0, 0, 0, false, false, false, false, 0, null);
    if (el.dispatchEvent(ev) && el.href) { win.location.href = el.href; }
  }
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
  function openModal(idOrEl) {
    var el = typeof idOrEl === 'string' ? byId(idOrEl) : idOrEl;
    if (!el) { return; }
    if (!state.modal) { state.back = state.current; }
    el.removeAttribute('hidden');
    state.modal = el;
    focus(resolve(el));
  }
  function closeModal() {
    var el = state.modal;
    if (!el) { return; }
    el.setAttribute('hidden', '');
    state.modal = null;
    if (!focus(resolve(byId(state.back)))) { focusInitial(); }
  }
  function add(parent, tag, id, text) {
    var el = parent.appendChild(doc.createElement(tag));
    if (id) { el.id = id; }
    el.appendChild(doc.createTextNode(text));
    return el;
  }
  function confirmExit() {
    var r = root(), box = byId('rn-exit');
    if (!box) {
      box = doc.createElement('div');
      box.id = 'rn-exit';
      box.className = 'rn-dialog';
      box.setAttribute('data-nav-modal', '');
      box.setAttribute('data-nav-entry', 'rn-exit-no');
      box.setAttribute('role', 'alertdialog');
      add(box, 'p', '', attr(r, 'data-nav-exit-text') || 'Exit the service?');
      add(box, 'button', 'rn-exit-yes', attr(r, 'data-nav-exit-yes') || 'Exit').onclick = exit;
      add(box, 'button', 'rn-exit-no', attr(r, 'data-nav-exit-no') || 'Stay').onclick = closeModal;
      doc.body.appendChild(box);
      byId('rn-exit-yes').setAttribute('data-nav-right', 'rn-exit-no');
      byId('rn-exit-no').setAttribute('data-nav-left', 'rn-exit-yes');
    }
    openModal(box);
  }
  function exit() {
    var how = state.device && state.device.exit;
    if (!emit('EXIT', { key: 'EXIT', element: current() })) { return; }
    try {
      if (how === 'oipf' && state.app) { return state.app.destroyApplication(); }
      if (how === 'tizen') { return win.tizen.application.getCurrentApplication().exit(); }
      if (how === 'webos' && win.webOS && win.webOS.platformBack) { return win.webOS.platformBack(); }
      if (how === 'maple' && win.Common) { return new win.Common.API.Widget().sendExitEvent(); }
    } catch (e) { }
    win.close();
  }
  function back() {
    var r = root(), parent = attr(r, 'data-nav-parent');
    if (state.modal) { return closeModal(); }
    if (has(r, 'data-nav-home')) { return confirmExit(); }
    save();
    if (parent && parent !== 'history') { win.location.href = parent; } else { win.history.back(); }
  }

  function editable(el) {
    var t = el && el.tagName ? el.tagName.toLowerCase() : '';
    return t === 'textarea' || t === 'input' && !/^(button|submit|reset|checkbox|radio|image|file|range|color)$/i.test(el.type || '');
  }
  function native(key, code, el) {
    var at;
    if (!editable(el)) { return false; }
    if (key.indexOf('DIGIT_') === 0 || key === 'OK') { return true; }
    try { at = key === 'LEFT' ? el.selectionStart === 0 : el.selectionEnd >= el.value.length; } catch (e) { at = true; }
    return key === 'LEFT' || key === 'RIGHT' ? !at : key === 'BACK' && code === 8 && !!el.value;
  }
  function press(key, code) {
    var el, now = clock();
    stats.keys++;
    if (DIRS[key] ? now - state.lastMove < state.throttle : state.settling && key !== 'BACK') {
      stats.dropped++;
      return false;
    }
    if (DIRS[key]) { state.lastMove = now; }
    el = current();
    if (!emit(key, { key: key, code: code || 0, element: el, id: el ? el.id : null }, true)) { return true; }
    if (DIRS[key]) {
      move(DIRS[key]);
    } else if (key === 'OK') {
      activate(el);
    } else if (key === 'BACK') {
      back();
    } else if (key.indexOf('DIGIT_') === 0) {
      digit(key.charAt(6));
    } else if (COLOURS[key]) {
      el = scope().querySelector('[data-nav-key="' + key + '"]');
      if (usable(el)) { activate(el); }
    }
    return true;
  }
  function stop(e) {
    if (e.preventDefault) { e.preventDefault(); }
    e.returnValue = false;
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
  function onMouseOver(e) {
    var el = e.target, i;
    for (i = 0; el && el.getAttribute && i < 4; i++, el = el.parentNode) {
      if (el.id && (has(el, 'data-nav-up') || has(el, 'data-nav-down') || has(el, 'data-nav-left') || has(el, 'data-nav-right'))) {
        if (el.id !== state.current && (!state.modal || contains(state.modal, el))) { focus(el); }
        return;
      }
    }
  }

  function legend() {
    var r = root(), keys = (attr(r, 'data-nav-colors') || '').split(/[\s,;]+/), box, i, k, label;
    if (byId('rn-legend')) { return; }
    box = doc.querySelector('[data-nav-legend]');
    for (i = 0; i < keys.length; i++) {
      k = keys[i].toLowerCase();
      label = attr(r, 'data-nav-label-' + k);
      if (!k || !label) { continue; }
      if (!box) { (box = doc.body.appendChild(doc.createElement('div'))).className = 'rn-legend'; }
      box.id = box.id || 'rn-legend';
      k = add(box, 'span', '', label);
      k.className = 'rn-' + keys[i].toLowerCase();
      k.insertBefore(doc.createElement('i'), k.firstChild);
    }
  }
  function setTextSize(size, keep) {
    var html = doc.documentElement, s = storage('localStorage');
    html.className = (html.className || '').replace(/(^|\s)rn-text-\S+/g, '').replace(/^\s+/, '');
    if (size && size !== 'normal') { addClass(html, 'rn-text-' + size); }
    if (s && !keep) { try { s.setItem('rn:textSize', size || 'normal'); } catch (e) { } }
  }
  function start() {
    var s = storage('localStorage'), r = root(), size, ms;
    if (state.started || !doc.body) { return; }
    state.started = true;
    useDevice(detect(win.navigator.userAgent || ''));
    size = s && s.getItem('rn:textSize');
    if (size && !/(^|\s)rn-text-/.test(doc.documentElement.className)) { setTextSize(size, true); }
    legend();
    ms = parseInt(attr(r, 'data-nav-settle') || '0', 10);
    if (ms > 0) {
      state.settling = true;
      win.setTimeout(function () { state.settling = false; }, ms);
    }
    doc.addEventListener('keydown', onKeyDown, true);
    doc.addEventListener('keypress', function (e) { if (state.swallow) { stop(e); } }, true);
    doc.addEventListener('keyup', function () { state.swallow = false; }, true);
    doc.addEventListener('mouseover', onMouseOver, false);
    restore();
  }

  win.RemoteNav = {
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
    device: function () { return state.device ? state.device.family : null; },
    setClock: function (fn) { clock = fn; state.lastMove = -1e9; },
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

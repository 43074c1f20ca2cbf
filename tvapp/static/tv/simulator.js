/* The TV simulator: clicks on the remote picture and desktop keys call
   RemoteNav.press(key) inside the TV frame. */
(function () {
  'use strict';
  var frame = document.getElementById('tv');
  var KEYS = { ArrowUp: 'UP', ArrowDown: 'DOWN', ArrowLeft: 'LEFT', ArrowRight: 'RIGHT', Enter: 'OK',
    Escape: 'BACK', Backspace: 'BACK', F1: 'RED', F2: 'GREEN', F3: 'YELLOW', F4: 'BLUE', i: 'INFO' };
  function press(key) {
    var w = frame.contentWindow;
    if (w && w.RemoteNav) { w.RemoteNav.press(key); }
  }
  document.getElementById('remote').addEventListener('click', function (e) {
    var el = e.target;
    while (el && el.getAttribute && !el.getAttribute('data-key')) { el = el.parentNode; }
    if (el && el.getAttribute) { press(el.getAttribute('data-key')); }
  });
  document.addEventListener('keydown', function (e) {
    var key = KEYS[e.key] || (/^[0-9]$/.test(e.key) ? 'DIGIT_' + e.key : null);
    if (!key) { return; }
    e.preventDefault();
    press(key);
  });
  window.TvSimulator = { press: press };
})();

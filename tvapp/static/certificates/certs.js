/* Option buttons act like radio buttons: OK on one sets its hidden input. ES5. */
(function () {
  var buttons = document.querySelectorAll('[data-opt-name]');
  function choose(btn) {
    var name = btn.getAttribute('data-opt-name');
    var input = document.getElementById('opt-' + name);
    if (input) { input.value = btn.getAttribute('data-opt-value'); }
    for (var i = 0; i < buttons.length; i++) {
      if (buttons[i].getAttribute('data-opt-name') === name) {
        var on = buttons[i] === btn;
        buttons[i].className = buttons[i].className.replace(/\s*selected/g, '') + (on ? ' selected' : '');
        buttons[i].setAttribute('aria-pressed', on ? 'true' : 'false');
      }
    }
  }
  for (var i = 0; i < buttons.length; i++) {
    buttons[i].onclick = (function (b) { return function () { choose(b); return false; }; })(buttons[i]);
  }
})();

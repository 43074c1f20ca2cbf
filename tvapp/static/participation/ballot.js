/* The ballot's number keys: a digit chooses (or unchooses) its option whatever
   page of the ballot is shown, the server then showing that option's page.
   Loaded by participation/ballot.html only (not in the box's budget of
   remote_nav.js + tv.js + ticker.js). Runs before remote_nav (window, capture). */
(function () {
  var form = document.getElementById('ballot-key'), sent = false;
  if (!form) { return; }
  var count = parseInt(form.getAttribute('data-count'), 10) || 0;
  window.addEventListener('keydown', function (e) {
    var c = e.keyCode || e.which, d = c >= 96 && c <= 105 ? c - 96 : c - 48;
    if (d < 1 || d > 9 || d > count || e.altKey || e.ctrlKey || e.metaKey) { return; }
    e.preventDefault();
    e.stopPropagation();
    if (sent) { return; }
    sent = true;
    form.elements.number.value = String(d);
    form.submit();
  }, true);
}());

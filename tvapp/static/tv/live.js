/* A screen that follows something happening elsewhere (ES5): a payment made on
 * a phone, a request moving through its steps, an approval sent by SMS.
 *
 * An element with data-live="<url>" polls that JSON url; the answer
 *   {"done": true, "next": "<url>"}  -> go to next (or data-live-next, or reload)
 *   {"version": "<v>"}               -> reload when v differs from data-live-version
 * Every data-live-every ms (default 3000); slower after a failed poll. */
(function (win, doc) {
  'use strict';
  function attr(el, n) { return el.getAttribute(n); }
  function follow(el) {
    var url = attr(el, 'data-live'), seen = attr(el, 'data-live-version'),
      every = parseInt(attr(el, 'data-live-every'), 10) || 3000;
    function poll() {
      var x = new win.XMLHttpRequest();
      x.open('GET', url, true);
      x.setRequestHeader('Accept', 'application/json');
      x.onreadystatechange = function () {
        var data = null;
        if (x.readyState !== 4) { return; }
        try { data = win.JSON.parse(x.responseText); } catch (e) { data = null; }
        if (x.status === 200 && data) {
          if (data.done) { win.location.href = data.next || attr(el, 'data-live-next') || win.location.href; return; }
          if (seen !== null && data.version !== undefined && String(data.version) !== seen) { win.location.reload(); return; }
        }
        win.setTimeout(poll, x.status === 200 ? every : every * 3);
      };
      try { x.send(null); } catch (e) { win.setTimeout(poll, every * 3); }
    }
    win.setTimeout(poll, every);
  }
  var els = doc.querySelectorAll('[data-live]'), i;
  for (i = 0; i < els.length; i++) { follow(els[i]); }
})(window, document);

/* 지방세 screens (ES5): follow a payment by polling, and check card fields
 * before anything is sent. Card digits are never written anywhere. */
(function (win, doc) {
  'use strict';
  function byId(id) { return doc.getElementById(id); }
  function attr(el, n) { return el && el.getAttribute ? el.getAttribute(n) : null; }

  /* ---- follow a payment: [data-tax-poll] -> go to data-tax-next (or reload) when done */
  var polled = doc.querySelectorAll('[data-tax-poll]'), i;
  function follow(el) {
    var url = attr(el, 'data-tax-poll'), next = attr(el, 'data-tax-next');
    function poll() {
      var x = new win.XMLHttpRequest();
      x.open('GET', url, true);
      x.setRequestHeader('Accept', 'application/json');
      x.onreadystatechange = function () {
        var data = null;
        if (x.readyState !== 4) { return; }
        try { data = win.JSON.parse(x.responseText); } catch (e) { data = null; }
        if (x.status === 200 && data && data.done) { win.location.href = next || win.location.href; return; }
        win.setTimeout(poll, x.status === 200 ? 1500 : 5000);
      };
      x.send(null);
    }
    win.setTimeout(poll, 1500);
  }
  for (i = 0; i < polled.length; i++) { follow(polled[i]); }

  /* ---- card form: lengths checked on the box; one submission only */
  var form = doc.querySelector('[data-card-form]');
  if (!form) { return; }
  var checks = [['card-number-value', 16, '카드 번호 16자리를 모두 입력해 주세요.'],
                ['card-expiry-value', 4, '유효기간을 월 2자리, 년 2자리로 입력해 주세요 (예: 1229).'],
                ['card-birth-value', 6, '생년월일 6자리를 입력해 주세요 (예: 480312).'],
                ['card-pw-value', 2, '카드 비밀번호 앞 2자리를 입력해 주세요.']];
  var sent = false, box = byId('card-check');
  function say(text) {
    while (box.firstChild) { box.removeChild(box.firstChild); }
    box.appendChild(doc.createTextNode(text));
    box.removeAttribute('hidden');
  }
  form.onsubmit = function () {
    var j, input, month;
    if (sent) { return false; }
    for (j = 0; j < checks.length; j++) {
      input = byId(checks[j][0]);
      if (!input || !/^\d+$/.test(input.value) || input.value.length !== checks[j][1]) {
        say(checks[j][2]);
        return false;
      }
    }
    month = parseInt(byId('card-expiry-value').value.substr(0, 2), 10);
    if (month < 1 || month > 12) { say('유효기간의 월은 01부터 12까지입니다.'); return false; }
    sent = true;
    say('결제하는 중입니다. 잠시만 기다려 주세요.');
    return true;
  };
})(window, document);

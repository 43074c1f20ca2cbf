/* 지방세 card form (ES5): card fields checked before anything is sent.
 * Card digits are never written anywhere. (Following a payment: tv/live.js.) */
(function (win, doc) {
  'use strict';
  function byId(id) { return doc.getElementById(id); }
  function attr(el, n) { return el && el.getAttribute ? el.getAttribute(n) : null; }

  /* ---- card form: lengths checked on the box (every problem named, focus on
   * the first); a full box moves on to the next; one submission only */
  var form = doc.querySelector('[data-card-form]');
  if (!form) { return; }
  var checks = [['card-number-value', 16, '카드 번호 16자리를 모두 입력해 주세요.', '카드 번호 16자리'],
                ['card-expiry-value', 4, '유효기간을 월 2자리, 년 2자리로 입력해 주세요 (예: 1229).', '유효기간 4자리 (월월년년)'],
                ['card-birth-value', 6, '생년월일 6자리를 입력해 주세요 (예: 480312).', '생년월일 6자리'],
                ['card-pw-value', 2, '카드 비밀번호 앞 2자리를 입력해 주세요.', '비밀번호 앞 2자리']];
  var box = byId('card-check'), k, t;
  /* the screen's language: the template puts each text on the box (data-t0 ... data-t9) */
  for (k = 0; k < checks.length; k++) {
    for (t = 2; t < 4; t++) { checks[k][t] = attr(box, 'data-t' + (k * 2 + t - 2)) || checks[k][t]; }
  }
  var sent = false, order = ['card-number', 'card-expiry', 'card-birth', 'card-pw', 'card-pay'];
  function go(id) { if (win.RemoteNav) { win.RemoteNav.focus(id); } }
  doc.addEventListener('remotekey', function (e) {
    var d = e.detail || {}, el = d.element, at = el ? order.indexOf(el.id) : -1, input;
    if (at < 0 || at > 3 || (d.key || '').indexOf('DIGIT_') !== 0) { return; }
    input = byId(el.id + '-value');
    if (input && input.value.length >= checks[at][1]) { go(order[at + 1]); }
  }, false);
  function say(text) {
    while (box.firstChild) { box.removeChild(box.firstChild); }
    box.appendChild(doc.createTextNode(text));
    box.removeAttribute('hidden');
    if (byId('pay-line')) { byId('pay-line').setAttribute('hidden', ''); }  /* the pay button keeps its place */
  }
  form.onsubmit = function () {
    var j, input, month, wrong = [], first = null;
    if (sent) { return false; }
    for (j = 0; j < checks.length; j++) {
      input = byId(checks[j][0]);
      if (!input || !/^\d+$/.test(input.value) || input.value.length !== checks[j][1]) {
        wrong.push(j);
      } else if (j === 1) {
        month = parseInt(input.value.substr(0, 2), 10);
        if (month < 1 || month > 12) { wrong.push(-1); }
      }
    }
    for (j = 0; j < wrong.length; j++) {
      first = first || order[wrong[j] < 0 ? 1 : wrong[j]];
      wrong[j] = wrong[j] < 0 ? (attr(box, 'data-t8') || '유효기간의 월은 01부터 12까지입니다.') : checks[wrong[j]][wrong.length > 1 ? 3 : 2];
    }
    if (wrong.length) {
      say(wrong.length > 1 ? (attr(box, 'data-t9') || '다음을 확인해 주세요: ') + wrong.join(', ') + '.' : wrong[0]);
      go(first);
      return false;
    }
    sent = true;
    say(attr(box, 'data-t10') || '결제하는 중입니다. 잠시만 기다려 주세요.');
    return true;
  };
})(window, document);

// The phone simulator: show the newest message, as a phone does.
(function () {
  "use strict";
  var thread = document.getElementById("thread");
  if (!thread) { return; }
  function toNewest() { thread.scrollTop = thread.scrollHeight; }
  toNewest();
  window.addEventListener("load", toNewest);
}());

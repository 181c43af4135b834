// The running timer ticks on the page (decision 0122): each element with data-timer-elapsed
// (the seconds it had run when the server drew the page) shows the time since as h:mm, its
// text updated each minute. Counted from the page's own clock since it loaded, so a computer's
// clock set wrong does not matter. aria-live is off: a screen reader is not told every minute.
(function () {
  "use strict";
  var loaded = Date.now();
  function text(seconds) {
    var minutes = Math.max(0, Math.floor(seconds / 60));
    var rest = minutes % 60;
    return Math.floor(minutes / 60) + ":" + (rest < 10 ? "0" : "") + rest;
  }
  function tick() {
    var since = (Date.now() - loaded) / 1000;
    document.querySelectorAll("[data-timer-elapsed]").forEach(function (el) {
      var start = parseInt(el.getAttribute("data-timer-elapsed"), 10) || 0;
      el.textContent = text(start + since);
    });
  }
  function start() {
    var elements = document.querySelectorAll("[data-timer-elapsed]");
    if (!elements.length) return;
    tick();
    // The next change of minute, then every minute.
    var first = parseInt(elements[0].getAttribute("data-timer-elapsed"), 10) || 0;
    var wait = (60 - (first % 60)) * 1000;
    window.setTimeout(function () {
      tick();
      window.setInterval(tick, 60000);
    }, wait);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();

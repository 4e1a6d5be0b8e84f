/* Chartfile workstation behaviour: automatic logoff after idle time, keyboard shortcuts, the page viewer.
   Loaded as a file (the Content-Security-Policy allows no inline script). No PHI is handled here. */
(function () {
  "use strict";

  // ---- automatic logoff: after data-idle-seconds without input, the logout form is submitted ----
  function setupIdleLogoff() {
    var body = document.body;
    var seconds = parseInt(body.getAttribute("data-idle-seconds") || "0", 10);
    var form = document.getElementById("logout-form");
    if (!seconds || !form) { return; }
    var last = Date.now();
    ["keydown", "mousedown", "pointerdown", "wheel", "touchstart"].forEach(function (name) {
      document.addEventListener(name, function () { last = Date.now(); }, { passive: true, capture: true });
    });
    window.setInterval(function () {
      if (Date.now() - last >= seconds * 1000) {
        var reason = document.getElementById("logout-reason");
        if (reason) { reason.value = "idle"; }
        form.submit();
      }
    }, 1000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupIdleLogoff();
  });
})();

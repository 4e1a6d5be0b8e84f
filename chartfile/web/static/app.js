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

  // ---- the page viewer: page, zoom and rotation by buttons or keys ----
  var ZOOMS = [1, 2, 3];
  function setupViewer() {
    var viewer = document.querySelector(".viewer");
    var img = document.getElementById("page-image");
    if (!viewer || !img) { return null; }
    var doc = viewer.getAttribute("data-document");
    var count = parseInt(viewer.getAttribute("data-pages") || "1", 10);
    var state = { page: 1, zoom: 0, rot: 0 };
    function show() {
      img.src = "/documents/" + doc + "/pages/" + state.page + ".png" + (ZOOMS[state.zoom] > 1 ? "?size=large" : "");
      img.alt = "Page " + state.page + " of " + count + " of document " + doc;
      img.className = "zoom-" + ZOOMS[state.zoom] + " rot-" + state.rot;
      var label = document.getElementById("viewer-page");
      if (label) { label.textContent = String(state.page); }
      viewer.querySelectorAll(".thumbs button").forEach(function (b) {
        b.setAttribute("aria-current", b.getAttribute("data-page") === String(state.page) ? "true" : "false");
      });
    }
    var actions = {
      next: function () { if (state.page < count) { state.page += 1; show(); } },
      prev: function () { if (state.page > 1) { state.page -= 1; show(); } },
      "zoom-in": function () { if (state.zoom < ZOOMS.length - 1) { state.zoom += 1; show(); } },
      "zoom-out": function () { if (state.zoom > 0) { state.zoom -= 1; show(); } },
      rotate: function () { state.rot = (state.rot + 90) % 360; show(); }
    };
    viewer.addEventListener("click", function (ev) {
      var target = ev.target.closest("button");
      if (!target) { return; }
      var act = target.getAttribute("data-view");
      if (act && actions[act]) { actions[act](); }
      var page = target.getAttribute("data-page");
      if (page) { state.page = parseInt(page, 10); show(); }
    });
    return actions;
  }

  // ---- single-key shortcuts on the review page (WCAG 2.1.4: they can be switched off) ----
  function typing(ev) {
    var el = ev.target;
    var tag = el && el.tagName ? el.tagName.toLowerCase() : "";
    return tag === "input" && el.type !== "radio" && el.type !== "checkbox" || tag === "textarea" ||
      tag === "select" || (el && el.isContentEditable);
  }
  function openBox(id, focusId) {
    var box = document.getElementById(id);
    if (!box) { return; }
    box.open = true;
    var field = document.getElementById(focusId);
    if (field) { field.focus(); }
  }
  function setupShortcuts(viewer) {
    var toggle = document.getElementById("shortcuts-on");
    if (!toggle) { return; }
    var stored = window.localStorage ? window.localStorage.getItem("chartfile.shortcuts") : null;
    toggle.checked = stored !== "off";
    toggle.addEventListener("change", function () {
      if (window.localStorage) { window.localStorage.setItem("chartfile.shortcuts", toggle.checked ? "on" : "off"); }
    });
    document.addEventListener("keydown", function (ev) {
      if (!toggle.checked || ev.ctrlKey || ev.metaKey || ev.altKey || typing(ev)) { return; }
      var key = ev.key;
      var handled = true;
      if (/^[1-9]$/.test(key)) {
        var radio = document.querySelector('input[name="mrn"][data-key="' + key + '"]');
        if (radio) { radio.checked = true; radio.focus(); } else { handled = false; }
      } else if (key === "f") {
        var form = document.getElementById("file-form");
        if (form && form.requestSubmit) { form.requestSubmit(); } else if (form) { form.submit(); }
      } else if (key === "s") { openBox("split-box", "split-pages");
      } else if (key === "x") { openBox("reject-box", "reject-reason");
      } else if (key === "c") { openBox("correct-box", "doc-type");
      } else if (key === "/") { var q = document.getElementById("patient-q"); if (q) { q.focus(); }
      } else if (key === "j") { var next = document.getElementById("skip-link-next"); if (next) { next.click(); }
      } else if (viewer && key === "n") { viewer.next();
      } else if (viewer && key === "p") { viewer.prev();
      } else if (viewer && (key === "+" || key === "=")) { viewer["zoom-in"]();
      } else if (viewer && key === "-") { viewer["zoom-out"]();
      } else if (viewer && key === "o") { viewer.rotate();
      } else { handled = false; }
      if (handled) { ev.preventDefault(); }
    });
    document.body.setAttribute("data-shortcuts", "ready");  // lets scripts and tests know keys now work
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupIdleLogoff();
    setupShortcuts(setupViewer());
  });
})();

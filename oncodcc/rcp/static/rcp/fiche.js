// Fiche RCP pages and meeting mode (no inline script: strict CSP).
(function () {
  "use strict";
  // data-print: a button that opens the browser's print dialog.
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) { event.preventDefault(); window.print(); }
  });
  // data-fill (values read from a received report, beside the fiche): fill the named fields of the fiche form
  // with the proposed values — select, radio or text — and announce the change so that the organ form shows the
  // items the answers enable. Nothing is saved until the doctor saves the fiche.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-fill]");
    if (!button) { return; }
    var form = document.querySelector("form.fiche-form");
    var values = JSON.parse(button.getAttribute("data-fill"));
    var filled = 0;
    Object.keys(values).forEach(function (name) {
      var fields = form ? form.querySelectorAll('[name="' + CSS.escape(name) + '"]') : [];
      fields.forEach(function (field) {
        if (field.type === "radio" || field.type === "checkbox") {
          if (field.value !== values[name]) { return; }
          field.checked = true;
        } else {
          field.value = values[name];
        }
        filled += 1;
        field.dispatchEvent(new Event("input", {bubbles: true}));
        field.dispatchEvent(new Event("change", {bubbles: true}));
      });
    });
    if (filled) {
      button.textContent = "Reporté";
      button.classList.replace("btn-outline-primary", "btn-outline-success");
    }
  });
  // Meeting mode's attendance bar stays as the user left it from one case to the next (each case is a page).
  var BAR_KEY = "oncodcc.meetingMode.attendanceOpen";
  document.addEventListener("DOMContentLoaded", function () {
    var bar = document.querySelector("details.attendance-bar");
    if (!bar) { return; }
    try { bar.open = window.localStorage.getItem(BAR_KEY) === "1"; } catch (e) { /* storage disabled */ }
    bar.addEventListener("toggle", function () {
      try { window.localStorage.setItem(BAR_KEY, bar.open ? "1" : "0"); } catch (e) { /* storage disabled */ }
    });
  });
  // After a refused save, bring the error summary into view and focus (keyboard and screen-reader users).
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.getElementById("fiche-errors");
    if (summary) { summary.focus(); }
  });

  // Code suggestions on demand: a <datalist data-suggest-url> is filled from the server as the user types in an
  // input bound to it (list="…"), instead of every page carrying the whole value set.
  var timers = {};
  document.addEventListener("input", function (event) {
    var input = event.target;
    var listId = input.getAttribute && input.getAttribute("list");
    var datalist = listId && document.getElementById(listId);
    if (!datalist || !datalist.hasAttribute("data-suggest-url")) { return; }
    clearTimeout(timers[listId]);
    timers[listId] = setTimeout(function () {
      var query = input.value.trim();
      if (!query) { return; }
      var url = datalist.getAttribute("data-suggest-url") + "?q=" + encodeURIComponent(query);
      fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (response) { return response.ok ? response.json() : {results: []}; })
        .then(function (data) {
          datalist.replaceChildren.apply(datalist, data.results.map(function (item) {
            var option = document.createElement("option");
            option.value = item.code;
            option.textContent = item.code + " — " + item.display;
            return option;
          }));
        })
        .catch(function () { /* suggestions are a help: typing a code stays possible */ });
    }, 150);
  });

  // Meeting mode: j / k and Alt+↓ / Alt+↑ move exactly one case. Once a move has started, further presses are
  // ignored until the next case is shown, so a repeated or missed key press cannot skip a case.
  var moving = false;
  function typing(target) {
    return target.closest && target.closest("input, textarea, select, [contenteditable='true']");
  }
  document.addEventListener("keydown", function (event) {
    var list = document.querySelector("[data-case-list]");
    if (!list) { return; }
    var down = (event.altKey && event.key === "ArrowDown") || (!event.altKey && !event.ctrlKey && !event.metaKey
      && event.key === "j" && !typing(event.target));
    var up = (event.altKey && event.key === "ArrowUp") || (!event.altKey && !event.ctrlKey && !event.metaKey
      && event.key === "k" && !typing(event.target));
    if (!down && !up) { return; }
    event.preventDefault();
    if (moving || event.repeat) { return; }
    var link = document.querySelector(down ? "a[data-nav-next]" : "a[data-nav-prev]");
    if (link) {
      moving = true;
      link.click();
      // If leaving is cancelled (unsaved changes), the keys work again.
      setTimeout(function () { moving = false; }, 3000);
    }
  });
  window.addEventListener("pageshow", function () { moving = false; });
})();

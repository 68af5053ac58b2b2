// Fiche RCP pages (no inline script: strict CSP).
(function () {
  "use strict";
  // data-print: a button that opens the browser's print dialog.
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) { event.preventDefault(); window.print(); }
  });
  // After a refused save, bring the error summary into view and focus (keyboard and screen-reader users).
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.getElementById("fiche-errors");
    if (summary) { summary.focus(); }
  });
})();

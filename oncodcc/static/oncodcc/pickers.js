// Searchable drop-downs: every <select data-picker> becomes a Tom Select list (keyboard and screen-reader
// friendly: it keeps the <label>, announces the options and filters as one types). Groups (<optgroup>) are kept.
(function () {
  "use strict";

  function enhance(root) {
    if (typeof TomSelect === "undefined") { return; }
    (root || document).querySelectorAll("select[data-picker]:not(.tomselected)").forEach(function (select) {
      new TomSelect(select, {
        maxOptions: null,
        allowEmptyOption: true,
        searchField: ["text"],
        lockOptgroupOrder: true,
        render: {
          no_results: function () { return '<div class="no-results">Aucun résultat</div>'; }
        }
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { enhance(); });
  document.addEventListener("htmx:afterSettle", function (event) { enhance(event.target); });
})();

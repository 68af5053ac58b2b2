// Identity vigilance worklist at the keyboard (no inline script: strict CSP).
// J or S: next record (skip) · K: previous · F: merge with the first candidate · N: not a duplicate.
// F and N open the decision's text, pre-filled (editable); Ctrl+Enter submits it (the usual confirmation
// follows), Escape goes back to the record. A twin/homonym candidate's required check box still has to be ticked.
// C: one-key confirmation of a *certain* first candidate (its pre-filled reason submitted at once, the usual
// confirmation follows); nothing on any other tier — twins and homonyms are never merged in one key.
(function () {
  "use strict";

  var current = 0;

  function entries() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-vigilance-entry]"));
  }

  function focusEntry(index) {
    var list = entries();
    if (!list.length) { return; }
    current = Math.max(0, Math.min(index, list.length - 1));
    list.forEach(function (entry, k) { entry.classList.toggle("vigilance-current", k === current); });
    list[current].focus();
    list[current].scrollIntoView({block: "start"});
  }

  function prepare(kind) {
    var entry = entries()[current];
    var form = entry && entry.querySelector('[data-key-form="' + kind + '"]');
    if (!form) { return; }
    var text = form.querySelector("textarea");
    if (!text.value) { text.value = text.getAttribute("data-key-default") || ""; }
    text.focus();
    text.select();
  }

  function confirmCertain() {
    var entry = entries()[current];
    var form = entry && entry.querySelector("[data-key-certain]");
    if (!form) { return; }
    var text = form.querySelector("textarea");
    if (!text.value) { text.value = text.getAttribute("data-key-default") || ""; }
    form.requestSubmit(form.querySelector("[data-default-submit]") || undefined);
  }

  document.addEventListener("keydown", function (event) {
    if (!document.querySelector("[data-vigilance-entry]")) { return; }
    var target = event.target;
    var typing = target && (target.tagName === "TEXTAREA" || target.tagName === "INPUT" || target.isContentEditable);
    if (typing) {
      var form = target.closest("[data-key-form]");
      if (form && (event.ctrlKey || event.metaKey) && event.key === "Enter") {
        event.preventDefault();
        form.requestSubmit(form.querySelector("[data-default-submit]") || undefined);
      } else if (form && event.key === "Escape") {
        focusEntry(current);
      }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    var actions = {
      j: function () { focusEntry(current + 1); }, s: function () { focusEntry(current + 1); },
      k: function () { focusEntry(current - 1); }, f: function () { prepare("merge"); },
      n: function () { prepare("dismiss"); }, c: confirmCertain
    };
    var action = actions[event.key.toLowerCase()];
    if (action) { event.preventDefault(); action(); }
  });

  document.addEventListener("DOMContentLoaded", function () {
    if (document.querySelector("[data-vigilance-entry]")) { focusEntry(0); }
  });
})();

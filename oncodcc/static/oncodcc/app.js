// OncoDCC behaviours, attached through data- attributes (no inline script: strict CSP).
(function () {
  "use strict";

  // data-confirm="message": ask before submitting a form or following a link.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) { event.preventDefault(); }
    if (!event.defaultPrevented) { form.removeAttribute("data-dirty"); }
  }, true);

  // Typed text is never lost by accident: warn before leaving a form with unsaved changes.
  document.addEventListener("input", function (event) {
    var form = event.target.closest("form[data-guard-unsaved]");
    if (form) { form.setAttribute("data-dirty", "1"); }
  });
  window.addEventListener("beforeunload", function (event) {
    if (document.querySelector("form[data-guard-unsaved][data-dirty]")) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  // Keyboard: Ctrl+S saves the guarded form; Alt+ArrowRight / Alt+ArrowLeft follow the next / previous links.
  document.addEventListener("keydown", function (event) {
    if ((event.ctrlKey || event.metaKey) && event.key === "s") {
      var form = document.querySelector("form[data-guard-unsaved]");
      if (form) { event.preventDefault(); form.requestSubmit(form.querySelector("[data-default-submit]") || undefined); }
    }
    if (event.altKey && (event.key === "ArrowRight" || event.key === "ArrowLeft")) {
      var link = document.querySelector(event.key === "ArrowRight" ? "a[data-nav-next]" : "a[data-nav-prev]");
      // On pages that navigate between cases, Alt+←/→ never falls through to the browser's Back/Forward (which
      // on the first or last case would land on another page, possibly another patient), and a held key does
      // not run through the cases.
      if (document.querySelector("[data-case-list]")) { event.preventDefault(); }
      if (link && !event.repeat) { event.preventDefault(); link.click(); }
    }
  });

  // data-show-when="fieldName=value": show an element only when a radio/checkbox/select has that value.
  function refreshConditional(root) {
    (root || document).querySelectorAll("[data-show-when]").forEach(function (el) {
      var spec = el.getAttribute("data-show-when").split("=");
      var form = el.closest("form") || document;
      var inputs = form.querySelectorAll('[name="' + spec[0] + '"]');
      var value = "";
      inputs.forEach(function (input) {
        if ((input.type === "radio" || input.type === "checkbox")) {
          if (input.checked) { value = input.type === "checkbox" ? "on" : input.value; }
        } else { value = input.value; }
      });
      el.hidden = value !== spec[1];
    });
  }
  document.addEventListener("change", function () { refreshConditional(); });
  document.addEventListener("DOMContentLoaded", function () { refreshConditional(); });
  document.addEventListener("htmx:afterSettle", function (event) { refreshConditional(event.target); });

  // Organ forms: the server says which items enableWhen enables (HX-Trigger "organ-enabled"); show them and
  // submit their inputs, hide and disable the others. Inputs are never replaced, so nothing typed is lost.
  document.body && document.body.addEventListener("organ-enabled", function (event) {
    var enabled = new Set((event.detail && event.detail.items) || []);
    document.querySelectorAll("#organ-part [data-organ-item]").forEach(function (el) {
      var on = enabled.has(el.getAttribute("data-organ-item"));
      el.hidden = !on;
      if (el.classList.contains("organ-item")) {
        el.querySelectorAll("input, select, textarea").forEach(function (input) { input.disabled = !on; });
      }
    });
  });

  // Formsets: data-formset-add="prefix" clones the empty form template of that formset.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-formset-add]");
    if (!button) { return; }
    event.preventDefault();
    var prefix = button.getAttribute("data-formset-add");
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    var template = document.getElementById(prefix + "-empty-form");
    var container = document.getElementById(prefix + "-forms");
    var index = parseInt(total.value, 10);
    var html = template.innerHTML.replace(/__prefix__/g, String(index));
    var wrapper = document.createElement("div");
    wrapper.innerHTML = html.trim();
    var node = wrapper.firstElementChild;
    container.appendChild(node);
    total.value = String(index + 1);
    var first = node.querySelector("input, select, textarea");
    if (first) { first.focus(); }
    var form = container.closest("form[data-guard-unsaved]");
    if (form) { form.setAttribute("data-dirty", "1"); }
  });
})();

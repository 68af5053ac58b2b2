// Account request: once a valid RPPS number is typed, fill the name and specialty the regional directory knows
// (empty fields only). Progressive enhancement: without it the form works the same.
(function () {
  "use strict";
  const form = document.getElementById("account-request");
  if (!form) return;
  const rpps = form.querySelector("[name=rpps]");
  const status = document.getElementById("rpps-status");
  if (!rpps || rpps.disabled) return;
  const fill = (name, value) => {
    const field = form.querySelector(`[name=${name}]`);
    if (field && value && !field.value) field.value = value;
  };
  rpps.addEventListener("change", async () => {
    const number = rpps.value.replace(/[\s.]/g, "");
    status.textContent = "";
    if (number.length !== 11) return;
    try {
      const response = await fetch(`${form.dataset.lookup}?numero=${encodeURIComponent(number)}`,
        { headers: { Accept: "application/json" } });
      if (!response.ok) return;
      const data = await response.json();
      if (!data.valid) {
        status.textContent = "Ce numéro RPPS n'est pas valide (clé de contrôle) : vérifiez-le.";
      } else if (data.found) {
        fill("last_name", data.last_name);
        fill("first_name", data.first_name);
        fill("specialty", data.specialty);
        status.textContent = "Numéro trouvé dans l'annuaire régional : nom et spécialité remplis.";
      }
    } catch (error) {
      // The look-up is a convenience: the form is checked on the server anyway.
    }
  });
})();

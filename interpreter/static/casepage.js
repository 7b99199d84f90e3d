// The case page works without this file; it only saves a click or two.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // Choosing a product opens its form at once.
  const chooser = document.querySelector("form.chooser");
  const select = chooser && chooser.querySelector("select");
  if (select) {
    select.addEventListener("change", () => chooser.submit());
  }
  // After a calculation, the result is what the case worker came for.
  const result = document.getElementById("uitkomst");
  if (result && !document.querySelector(".has-error")) {
    result.scrollIntoView();
  }
  // After a refused form, the first wrong field has the focus.
  const wrong = document.querySelector(".has-error input, .has-error select");
  if (wrong) {
    wrong.focus();
  }
});

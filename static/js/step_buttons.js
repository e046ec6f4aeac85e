// The decision's grant button says what it does: "Bevilja 24 000 kr", kept current while the amount is typed.
(function () {
  "use strict";
  var button = document.querySelector("[data-grant-button]");
  var field = document.getElementById("id_amount");
  if (!button || !field) { return; }
  var lang = document.documentElement.lang || "sv";
  function update() {
    var text = field.value.replace(/\s|kr|SEK/g, "").replace(",", ".");
    var amount = Number(text);
    if (text === "" || !isFinite(amount) || amount <= 0) {
      button.textContent = button.dataset.labelPlain;
      return;
    }
    var whole = amount === Math.round(amount);
    var formatted = new Intl.NumberFormat(lang === "sv" ? "sv-SE" : "en-GB", {
      minimumFractionDigits: whole ? 0 : 2, maximumFractionDigits: whole ? 0 : 2
    }).format(amount) + "\u00a0kr";
    button.textContent = button.dataset.labelTemplate.replace("%(amount)s", formatted);
  }
  field.addEventListener("input", update);
})();

// Tables that become cards on a narrow screen (CSS: table.cards): each cell is labelled with its column's
// heading, so a row reads "Sökt belopp: 25 000 kr" when the header row is not shown.
(function () {
  "use strict";
  Array.prototype.forEach.call(document.querySelectorAll("table.cards"), function (table) {
    var heads = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
      var copy = th.cloneNode(true);
      Array.prototype.forEach.call(copy.querySelectorAll(".visually-hidden"), function (el) { el.remove(); });
      return copy.textContent.trim();
    });
    Array.prototype.forEach.call(table.querySelectorAll("tbody tr"), function (row) {
      Array.prototype.forEach.call(row.children, function (cell, index) {
        if (heads[index] && !cell.hasAttribute("data-label")) { cell.setAttribute("data-label", heads[index]); }
      });
    });
  });
})();

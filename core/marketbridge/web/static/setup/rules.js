// Rule builder: add condition/action rows in place, and offer only the comparisons that fit each field.
// Without JavaScript the "add" buttons send the form back with one more row.
(function () {
  "use strict";
  var form = document.getElementById("rule-form");
  if (!form) { return; }

  function fitOperators(row) {
    var fieldSelect = row.querySelector(".rule-field");
    var opSelect = row.querySelector(".rule-op");
    var value = row.querySelector(".rule-value");
    if (!fieldSelect || !opSelect) { return; }
    var chosen = fieldSelect.options[fieldSelect.selectedIndex];
    var kind = chosen ? chosen.getAttribute("data-kind") : null;
    var firstFit = null;
    Array.prototype.forEach.call(opSelect.options, function (option) {
      var fits = !kind || option.getAttribute("data-kinds").split(" ").indexOf(kind) >= 0;
      option.hidden = !fits;
      option.disabled = !fits;
      if (fits && firstFit === null) { firstFit = option; }
    });
    if (opSelect.selectedOptions.length && opSelect.selectedOptions[0].disabled && firstFit) { firstFit.selected = true; }
    if (value) { value.hidden = kind === "flag"; }
  }

  function renumber(row, index) {
    Array.prototype.forEach.call(row.querySelectorAll("[id], [name], label[for]"), function (el) {
      ["id", "name", "for"].forEach(function (attr) {
        var v = el.getAttribute(attr);
        if (v) { el.setAttribute(attr, v.replace(/-(\d+)-/, "-" + index + "-")); }
      });
    });
    row.setAttribute("data-row", String(index));
  }

  Array.prototype.forEach.call(form.querySelectorAll(".criteria-row"), function (row) {
    fitOperators(row);
    row.querySelector(".rule-field").addEventListener("change", function () { fitOperators(row); });
  });

  Array.prototype.forEach.call(form.querySelectorAll("button.add-row"), function (button) {
    button.addEventListener("click", function (event) {
      var rows = document.getElementById(button.getAttribute("data-rows"));
      var count = document.getElementById(button.getAttribute("data-count"));
      var max = parseInt(button.getAttribute("data-max"), 10);
      var last = rows.lastElementChild;
      if (!last) { return; }
      event.preventDefault();
      var copy = last.cloneNode(true);
      renumber(copy, rows.children.length);
      Array.prototype.forEach.call(copy.querySelectorAll("input"), function (input) { input.value = ""; input.hidden = false; input.removeAttribute("aria-invalid"); });
      Array.prototype.forEach.call(copy.querySelectorAll("select"), function (select) { select.selectedIndex = 0; select.removeAttribute("aria-invalid"); });
      Array.prototype.forEach.call(copy.querySelectorAll("ul.errors"), function (ul) { ul.innerHTML = ""; });
      rows.appendChild(copy);
      count.value = String(rows.children.length);
      if (copy.classList.contains("criteria-row")) {
        fitOperators(copy);
        copy.querySelector(".rule-field").addEventListener("change", function () { fitOperators(copy); });
      }
      copy.querySelector("select").focus();
      if (rows.children.length >= max) { button.hidden = true; }
    });
  });
})();

// Status mapping: mark a shop status chosen for two marketplace statuses as soon as it is picked.
// The server refuses such a mapping anyway; this only says so before saving.
(function () {
  "use strict";
  var form = document.getElementById("status-mapping");
  if (!form) { return; }
  var template = form.getAttribute("data-duplicate-message") || "";
  var selects = Array.prototype.slice.call(form.querySelectorAll("select"));

  function check() {
    var byValue = {};
    selects.forEach(function (select) {
      if (select.value) { (byValue[select.value] = byValue[select.value] || []).push(select); }
    });
    selects.forEach(function (select) {
      var errors = document.getElementById(select.id + "-errors");
      var live = errors && errors.querySelector("li.live");
      var same = select.value ? byValue[select.value].filter(function (s) { return s !== select; }) : [];
      if (same.length) {
        var others = same.map(function (s) { return "\u201c" + s.getAttribute("data-label") + "\u201d"; }).join(", ");
        if (!live) { live = document.createElement("li"); live.className = "live"; errors.appendChild(live); }
        live.textContent = template.replace("__OTHER__", others);
        select.setAttribute("aria-invalid", "true");
        select.setAttribute("aria-describedby", errors.id);
        select.closest("tr").classList.add("has-errors");
      } else {
        if (live) { live.remove(); }
        if (!errors || !errors.querySelector("li")) {
          select.removeAttribute("aria-invalid");
          select.closest("tr").classList.remove("has-errors");
        }
      }
    });
  }
  selects.forEach(function (select) { select.addEventListener("change", check); });
})();

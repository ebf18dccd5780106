// A confirmation dialog before forms marked data-confirm are sent (reprocessing rules changes shop orders).
// Without JavaScript the preview page itself is the confirmation step.
(function () {
  "use strict";
  var forms = document.querySelectorAll("form[data-confirm]");
  Array.prototype.forEach.call(forms, function (form) {
    if (typeof HTMLDialogElement === "undefined") { return; }
    var dialog = document.createElement("dialog");
    dialog.setAttribute("aria-labelledby", form.id + "-confirm-text");
    var text = document.createElement("p");
    text.id = form.id + "-confirm-text";
    text.textContent = form.getAttribute("data-confirm");
    var buttons = document.createElement("div");
    buttons.className = "actions";
    var yes = document.createElement("button");
    yes.type = "button";
    yes.className = "primary";
    yes.textContent = form.getAttribute("data-confirm-yes");
    var no = document.createElement("button");
    no.type = "button";
    no.textContent = form.getAttribute("data-confirm-no");
    buttons.appendChild(yes);
    buttons.appendChild(no);
    dialog.appendChild(text);
    dialog.appendChild(buttons);
    document.body.appendChild(dialog);
    no.addEventListener("click", function () { dialog.close(); });
    yes.addEventListener("click", function () { dialog.close(); yes.disabled = true; form.submit(); });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      dialog.showModal();
      no.focus();
    });
  });
})();

/* Click & Collect: confirm a marketplace status change in a dialog before it is sent (K5, S5).
 *
 * Forms marked data-confirm="status" (pickup overview), "order" (order page) or "lines" (partial pickup)
 * post to an endpoint that, without confirm=yes, answers with a confirmation page. With this script the
 * confirmation happens in the <dialog id="pickup-confirm"> instead: the form is sent with confirm=yes
 * only after the merchant pressed "Send". Without <dialog> support the page flow stays as it is.
 */
(function () {
  "use strict";
  var dialog = document.getElementById("pickup-confirm");
  if (!dialog || typeof dialog.showModal !== "function") { return; }
  var what = dialog.querySelector("[data-slot=what]");
  var list = dialog.querySelector("[data-slot=items]");
  var send = dialog.querySelector("[data-action=send]");
  var pending = null;

  function selectedText(select) {
    return select && select.selectedIndex >= 0 ? select.options[select.selectedIndex].text : "";
  }

  var describe = {
    status: function (form, submitter) {
      if (submitter && submitter.name === "apply") {
        var row = form.querySelector('[data-order-row="' + submitter.value + '"]');
        return { what: selectedText(form.elements["status_" + submitter.value]), items: [row.dataset.label] };
      }
      var items = Array.prototype.map.call(form.querySelectorAll("input[name=order]:checked"), function (box) {
        return box.closest("[data-order-row]").dataset.label;
      });
      return items.length ? { what: selectedText(form.elements.bulk_status), items: items } : null;
    },
    order: function (form) {
      var chosen = form.querySelector("input[name=status]:checked");
      var reason = form.elements.reason ? form.elements.reason.value.trim() : "";
      if (!chosen) { return null; }  // the server explains what is missing
      var items = [form.dataset.label];
      if (reason) { items.push(reason); }
      return { what: chosen.dataset.status, items: items };
    },
    lines: function (form) {
      var items = [];
      Array.prototype.forEach.call(form.querySelectorAll("input.qty"), function (input) {
        var n = parseInt(input.value, 10);
        if (n > 0) { items.push(n + " \u00d7 " + input.dataset.title); }
      });
      return items.length ? { what: selectedText(form.elements.status), items: items } : null;
    }
  };

  function hidden(form, name, value) {
    var input = document.createElement("input");
    input.type = "hidden";
    input.name = name;
    input.value = value;
    form.appendChild(input);
  }

  Array.prototype.forEach.call(document.querySelectorAll("form[data-confirm]"), function (form) {
    form.addEventListener("submit", function (event) {
      var summary = (describe[form.dataset.confirm] || function () { return null; })(form, event.submitter);
      if (!summary) { return; }  // nothing to confirm: let the server say what is missing
      event.preventDefault();
      pending = { form: form, submitter: event.submitter };
      what.textContent = summary.what;
      list.textContent = "";
      summary.items.forEach(function (text) {
        var item = document.createElement("li");
        item.textContent = text;
        list.appendChild(item);
      });
      send.disabled = false;
      dialog.showModal();
    });
  });

  send.addEventListener("click", function () {
    if (!pending) { return; }
    var form = pending.form, submitter = pending.submitter;
    send.disabled = true;
    hidden(form, "confirm", "yes");
    if (submitter && submitter.name) { hidden(form, submitter.name, submitter.value); }
    dialog.close();
    form.submit();
  });
  dialog.querySelector("[data-action=cancel]").addEventListener("click", function () {
    pending = null;
    dialog.close();
  });
  dialog.addEventListener("close", function () { if (!send.disabled) { pending = null; } });

  // "select all" for the overview's checkboxes
  Array.prototype.forEach.call(document.querySelectorAll("input[data-select-all]"), function (all) {
    var boxes = all.closest("form").querySelectorAll("input[name=order]");
    all.hidden = false;
    all.addEventListener("change", function () {
      Array.prototype.forEach.call(boxes, function (box) { box.checked = all.checked; });
    });
  });
}());

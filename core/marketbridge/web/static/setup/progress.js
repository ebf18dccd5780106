// Backfill progress: poll the JSON endpoint while orders are being fetched and update the bar.
(function () {
  "use strict";
  var box = document.getElementById("backfill-progress");
  if (!box || box.getAttribute("data-running") !== "true" || !window.fetch) { return; }
  var bar = box.querySelector("progress");
  var text = document.getElementById("backfill-text");
  function poll() {
    fetch(box.getAttribute("data-url"), { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        bar.value = data.percent;
        text.textContent = data.text;
        box.setAttribute("data-running", data.running ? "true" : "false");
        if (data.running) { window.setTimeout(poll, 3000); }
      })
      .catch(function () { window.setTimeout(poll, 10000); });
  }
  window.setTimeout(poll, 3000);
})();

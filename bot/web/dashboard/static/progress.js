// Live progress of a broadcast report: polls progress.json and updates the figures in place.
// A plain script served from 'self' (the CSP allows nothing else); the page works without it.
(function () {
  "use strict";
  var box = document.getElementById("progress");
  if (!box || box.dataset.finished) { return; }
  var url = box.dataset.progressUrl;
  function update() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        Object.keys(data).forEach(function (key) {
          var field = box.querySelector('[data-field="' + key + '"]');
          if (field) { field.textContent = String(data[key]); }
        });
        if (data.finished) {
          // Ended: nothing left to cancel, and the end time shows, as after a reload.
          box.dataset.finished = "1";
          box.querySelectorAll("[data-until-finished]").forEach(function (el) { el.hidden = true; });
          box.querySelectorAll("[data-when-finished]").forEach(function (el) { el.hidden = false; });
          return;
        }
        window.setTimeout(update, 2000);
      })
      .catch(function () { window.setTimeout(update, 5000); });
  }
  window.setTimeout(update, 2000);
})();

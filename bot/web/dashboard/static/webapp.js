// Opened as a Telegram Mini App, the page carries Telegram's signed initData in its
// fragment (#tgWebAppData=...); the server checks it and signs the staff member in.
(function () {
  "use strict";
  var params = new URLSearchParams(window.location.hash.slice(1));
  var initData = params.get("tgWebAppData");
  if (!initData) { return; }
  var status = document.getElementById("webapp-status");
  if (status) { status.hidden = false; }
  var body = new URLSearchParams();
  body.set("init_data", initData);
  fetch("/webapp-signin", { method: "POST", body: body, credentials: "same-origin" })
    .then(function (response) { return response.json(); })
    .then(function (data) { if (data.ok) { window.location.replace(data.redirect); } })
    .catch(function () { if (status) { status.hidden = true; } });
})();

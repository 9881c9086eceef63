// Live preview of the compose form: the text is rendered on the server by
// the code that publishes, a short while after typing stops. Without this
// script the Preview button does the same.
(function () {
  "use strict";
  var form = document.getElementById("compose");
  var body = document.getElementById("body");
  var out = document.getElementById("preview");
  if (!form || !body || !out) {
    return;
  }
  var prefix = form.getAttribute("action").replace(/\/statements.*$/, "");
  var timer = null;
  var sent = 0;
  function update() {
    var n = ++sent;
    var data = new FormData();
    data.append("csrf", form.elements.csrf.value);
    data.append("body", body.value);
    fetch(prefix + "/preview", { method: "POST", body: data, credentials: "same-origin" })
      .then(function (res) { return res.ok ? res.text() : null; })
      .then(function (html) {
        if (html !== null && n === sent) {
          out.innerHTML = html; // sanitized by the server (content.RenderMarkdown)
        }
      })
      .catch(function () {});
  }
  body.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(update, 400);
  });
})();

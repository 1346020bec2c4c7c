/* The upload's progress (templates/upload.html, upload_progress.html; docs/upload.md).

   The upload form sends the file by XMLHttpRequest, so that the page shows how much of it has gone up; the server
   keeps it, starts its preview in the background and answers (202) with where to follow it. The page then asks
   /upload/<token>/progress.json every 0.4 s (the server answers at once when the preview ends) and shows the
   stage the check is at ("Checking every row", 2 of 4) and the seconds it has taken, and opens the preview when
   it is ready (or failed: that page says why). The page stays usable throughout; nothing is written until the
   person applies the preview. The page shown while a preview runs (/upload/<token>, without this script: it
   reloads itself) follows it the same way.
   Without this script the form posts as a plain form and the server answers with the same pages. */
(function () {
  "use strict";
  var EVERY = 400; // ms between two questions to the server
  var PATIENCE = 15; // questions in a row without an answer before the page says so and stops asking

  function parts(root) {
    return {
      box: root.querySelector(".upload-progress") || root,
      stage: root.querySelector("#upload-stage"),
      bar: root.querySelector("#upload-bar"),
      status: root.querySelector("#upload-status")
    };
  }

  function size(bytes, total) { // "0.4 / 20.9 MB"; in kB for a file under 1 MB
    var mega = total >= 1048576, shown = bytes / (mega ? 1048576 : 1024);
    return shown.toLocaleString(document.documentElement.lang || undefined, {maximumFractionDigits: mega ? 1 : 0});
  }

  function stopped(view, words, text, link) {
    view.status.textContent = text + " ";
    view.status.classList.add("error-message");
    if (link) {
      var a = document.createElement("a");
      a.href = link;
      a.textContent = link;
      view.status.appendChild(a);
    }
  }

  // Ask the server how far the preview has got until it ends; then open the preview page. The server holds a
  // question up to EVERY ms while the preview runs in its process (answering as soon as it ends): asked again
  // at once after such an answer, else after the rest of EVERY.
  function follow(view, words, url, preview) {
    var misses = 0, asked = 0;
    function later() {
      setTimeout(ask, Math.max(0, EVERY - (Date.now() - asked)));
    }
    function ask() {
      asked = Date.now();
      fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin", cache: "no-store"})
        .then(function (response) {
          if (!response.ok) throw new Error(String(response.status));
          return response.json();
        })
        .then(function (state) {
          misses = 0;
          view.stage.textContent = state.label + " (" + state.step + "/" + state.steps + ")";
          view.bar.max = state.steps;
          view.bar.value = state.step;
          view.status.textContent = Math.round(state.seconds) + " " + words.seconds;
          if (state.state === "running") {
            later();
          } else {
            window.location.assign(state.preview || preview); // the preview, or why it failed
          }
        })
        .catch(function () {
          misses += 1;
          if (misses >= PATIENCE) {
            stopped(view, words, words.lost, preview);
          } else {
            later();
          }
        });
    }
    ask();
  }

  function send(form, event) {
    if (!form.checkValidity()) return;
    event.preventDefault();
    var words = form.dataset, view = parts(form), button = form.querySelector("button[type=submit]");
    var request = new XMLHttpRequest();
    function failed(text) {
      button.disabled = false;
      form.removeAttribute("aria-busy");
      stopped(view, words, text);
    }
    view.box.hidden = false;
    view.status.classList.remove("error-message");
    button.disabled = true;
    form.setAttribute("aria-busy", "true");
    view.stage.textContent = words.sending;
    view.bar.max = 100;
    view.bar.value = 0;
    request.upload.addEventListener("progress", function (e) {
      if (!e.lengthComputable) return;
      view.bar.value = Math.round(100 * e.loaded / e.total);
      var unit = e.total >= 1048576 ? " MB" : " kB";
      view.status.textContent = view.bar.value + " % (" + size(e.loaded, e.total) + " / " + size(e.total, e.total) + unit + ")";
    });
    request.upload.addEventListener("load", function () {
      view.stage.textContent = words.sent + ". " + words.checking;
      view.bar.removeAttribute("value"); // indeterminate until the server says where the check is
    });
    request.addEventListener("load", function () {
      var body = null;
      try { body = JSON.parse(request.responseText); } catch (ignored) { body = null; }
      if (request.status === 202 && body && body.progress) {
        view.stage.textContent = words.checking;
        follow(view, words, body.progress, body.preview);
      } else {
        failed(body && body.error ? body.error : words.failed + " (" + request.status + ")");
      }
    });
    request.addEventListener("error", function () { failed(words.failed); });
    request.addEventListener("abort", function () { failed(words.failed); });
    request.open("POST", form.action);
    request.setRequestHeader("Accept", "application/json");
    request.send(new FormData(form));
  }

  var form = document.querySelector("form.upload[data-sending]");
  if (form && window.XMLHttpRequest && window.FormData && window.fetch) {
    form.addEventListener("submit", function (event) { send(form, event); });
  }
  var page = document.querySelector(".upload-progress[data-follow]");
  if (page && window.fetch) {
    follow(parts(page), page.dataset, page.dataset.follow, window.location.href);
  }
}());

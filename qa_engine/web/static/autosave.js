// Progressive enhancement: save a rubric form as a draft a few seconds after the last change, through
// the JSON API (with the session's CSRF token). Without JavaScript the "Save draft" button does the same.
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave]");
  if (!form || !window.fetch) { return; }
  var url = form.getAttribute("data-autosave");
  var textKey = form.getAttribute("data-text-key") || "comment";
  var status = document.getElementById("autosave-status");
  var timer = null;
  var inflight = null;

  function say(text) { if (status) { status.textContent = text; } }

  function versionField() { return form.querySelector('input[name="version"]'); }

  function payload() {
    var entries = {};
    form.querySelectorAll("fieldset.criterion[data-criterion]").forEach(function (fs) {
      var id = fs.getAttribute("data-criterion");
      var kind = fs.getAttribute("data-kind");
      var entry = {};
      var text = fs.querySelector("textarea[name^='" + textKey + ".']");
      entry[textKey] = text ? text.value : "";
      if (kind === "scale" || kind === "yes_no") {
        var checked = fs.querySelector("input[type=radio][name^='score.']:checked");
        var value = checked ? checked.value : "";
        entry.score = value === "" ? null : (kind === "yes_no" ? value === "yes" : parseInt(value, 10));
      }
      var evidence = fs.querySelector("textarea[name^='evidence.']");
      if (evidence) {
        entry.evidence = evidence.value.split("\n").map(function (s) { return s.trim(); }).filter(Boolean);
      }
      entries[id] = entry;
    });
    var body = { entries: entries };
    var v = versionField();
    if (v && v.value) { body.version = parseInt(v.value, 10); }
    var rec = form.querySelector("input[name=recommendation]:checked");
    if (form.querySelector("input[name=recommendation]")) { body.recommendation = rec ? rec.value : null; }
    var overall = form.querySelector("textarea[name=overall_comment]");
    if (overall) { body.overall_comment = overall.value; }
    var summary = form.querySelector("textarea[name=summary]");
    if (summary) { body.summary = summary.value; }
    return body;
  }

  function save() {
    timer = null;
    say("Saving…");
    inflight = fetch(url, {
      method: "PUT",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": form.getAttribute("data-csrf") },
      body: JSON.stringify(payload())
    }).then(function (response) {
      return response.json().then(function (data) {
        if (response.ok) {
          var v = versionField();
          if (!v) {
            v = document.createElement("input");
            v.type = "hidden"; v.name = "version";
            form.appendChild(v);
          }
          v.value = data.version;
          say("Draft saved automatically at " + new Date().toLocaleTimeString());
        } else if (response.status === 409) {
          say("Not saved automatically: " + data.message);
        } else {
          say("Not saved automatically yet (" + (data.message || response.status) + "); use Save draft.");
        }
      });
    }).catch(function () {
      say("Not saved automatically (offline?); use Save draft.");
    }).then(function () { inflight = null; });
  }

  function changed() {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(save, parseInt(form.getAttribute("data-delay") || "4000", 10));
  }

  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  form.addEventListener("submit", function (event) {
    if (timer) { clearTimeout(timer); timer = null; }
    if (inflight) {  // let the automatic save finish, so the form carries the newest version
      event.preventDefault();
      var submitter = event.submitter;
      inflight.then(function () { form.requestSubmit(submitter); });
    }
  });
})();

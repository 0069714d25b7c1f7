// Progressive enhancement: save a rubric form as a draft a few seconds after the last change, through
// the JSON API (with the session's CSRF token). Without JavaScript the "Save draft" button does the same.
// Every save carries the draft version the page started from (0: no draft yet). When the draft was
// saved elsewhere meanwhile (409), autosaving stops, the input stays in the page, and the person
// chooses: compare (the form is posted and the page shows theirs beside the saved draft) or use the
// saved draft (the page is loaded again).
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave]");
  if (!form || !window.fetch) { return; }
  var url = form.getAttribute("data-autosave");
  var textKey = form.getAttribute("data-text-key") || "comment";
  var status = document.getElementById("autosave-status");
  var timer = null;
  var inflight = null;
  var stopped = false;
  // the words shown, in the page's language (templates/autosave_texts.html)
  var texts = {};
  var textsBlock = document.getElementById("autosave-texts");
  if (textsBlock) {
    try { texts = JSON.parse(textsBlock.textContent); } catch (e) { texts = {}; }
  }

  function t(key, values) {
    var text = texts[key] || key;
    Object.keys(values || {}).forEach(function (name) { text = text.split("{" + name + "}").join(values[name]); });
    return text;
  }

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
    body.version = v && v.value ? parseInt(v.value, 10) : 0;
    var rec = form.querySelector("input[name=recommendation]:checked");
    if (form.querySelector("input[name=recommendation]")) { body.recommendation = rec ? rec.value : null; }
    var overall = form.querySelector("textarea[name=overall_comment]");
    if (overall) { body.overall_comment = overall.value; }
    var summary = form.querySelector("textarea[name=summary]");
    if (summary) { body.summary = summary.value; }
    return body;
  }

  // The draft changed elsewhere: no more automatic saves; offer the choice, keep what was typed.
  function stop(message) {
    stopped = true;
    if (timer) { clearTimeout(timer); timer = null; }
    say(t("stopped"));
    if (document.getElementById("autosave-conflict")) { return; }
    var box = document.createElement("div");
    box.id = "autosave-conflict";
    box.className = "errors autosave-conflict";
    box.setAttribute("role", "alert");
    var head = document.createElement("h2");
    head.textContent = t("conflict");
    var text = document.createElement("p");
    text.textContent = t("kept") + (message ? " " + message : "");
    var compare = document.createElement("button");
    compare.type = "submit"; compare.name = "action"; compare.value = "save";
    compare.id = "compare-drafts"; compare.className = "primary";
    compare.textContent = t("compare");
    var reload = document.createElement("a");
    reload.href = window.location.pathname; reload.className = "button"; reload.id = "use-saved";
    reload.textContent = t("use_saved");
    var actions = document.createElement("p");
    actions.className = "actions";
    actions.appendChild(compare); actions.appendChild(document.createTextNode(" ")); actions.appendChild(reload);
    box.appendChild(head); box.appendChild(text); box.appendChild(actions);
    form.insertBefore(box, form.firstChild);
  }

  function save() {
    timer = null;
    if (stopped) { return; }
    if (inflight) {  // one save at a time: the next one carries the version the last one got
      inflight.then(function () { if (!timer) { save(); } });
      return;
    }
    say(t("saving"));
    inflight = fetch(url, {
      method: "PUT",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "X-CSRF-Token": form.getAttribute("data-csrf"),
        // the API's messages in the page's language
        "Accept-Language": document.documentElement.lang || "en"
      },
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
          say(t("saved", { time: new Date().toLocaleTimeString(document.documentElement.lang || undefined) }));
        } else if (response.status === 409) {
          stop(data.message);
        } else {
          say(t("failed", { reason: data.message || response.status }));
        }
      });
    }).catch(function () {
      say(t("offline"));
    }).then(function () { inflight = null; });
  }

  function changed() {
    if (stopped) { return; }
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

/* Potten application form: autosave while typing, "add a row" for list parts, the budget sum.
   Works as an enhancement: without JavaScript the form saves with its buttons. */
(function () {
  "use strict";
  var form = document.getElementById("application-form") || document.getElementById("report-form");
  if (!form) { return; }
  var status = document.getElementById("autosave-status");
  var versionInput = form.querySelector("input[name=version]");
  var timer = null, inFlight = false, dirty = false;

  function say(text) { if (status) { status.textContent = text; } }

  function save() {
    if (!form.dataset.autosaveUrl) { return; }
    if (inFlight) { return; }            // the running save reschedules when it ends
    if (!dirty) { return; }
    dirty = false;
    inFlight = true;
    say(form.dataset.msgSaving);
    var body = new FormData(form);
    body.delete("submit");
    fetch(form.dataset.autosaveUrl, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "Accept": "application/json", "X-Requested-With": "fetch" }
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    }).then(function (result) {
      if (result.ok && versionInput) { versionInput.value = result.data.version; }
      say(result.data.message);
      markProblems(result.data.problems || []);
      if (!result.ok) { form.dataset.autosaveUrl = ""; } // a conflict: stop, the message says what to do
    }).catch(function () {
      dirty = true;
      say(form.dataset.msgOffline);
    }).then(function () {
      inFlight = false;
      if (dirty) { schedule(); }
    });
  }

  // Fields the last autosave could not store are marked invalid until a save stores them.
  var marked = [];
  function markProblems(problems) {
    marked.forEach(function (input) { input.removeAttribute("aria-invalid"); });
    marked = [];
    problems.forEach(function (problem) {
      var input = document.getElementById(problem.field);
      if (input && input.matches("input, select, textarea")) {
        input.setAttribute("aria-invalid", "true");
        marked.push(input);
      }
    });
  }

  function schedule() {
    dirty = true;
    window.clearTimeout(timer);
    timer = window.setTimeout(save, 1500);
  }

  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
  // Leaving the page with unsaved typing: send it on the way out.
  window.addEventListener("pagehide", function () {
    if (dirty && form.dataset.autosaveUrl && navigator.sendBeacon) {
      navigator.sendBeacon(form.dataset.autosaveUrl, new FormData(form));
    }
  });
  // Saving or submitting while an autosave is on its way: wait for its answer, which carries the version this
  // form must send (sent at once, the form would carry the old one and be taken for an edit conflict).
  var resubmitting = false;
  form.addEventListener("submit", function (event) {
    dirty = false;
    window.clearTimeout(timer);
    if (!inFlight || resubmitting) { return; }
    event.preventDefault();
    resubmitting = true;
    var submitter = event.submitter || null;
    var polls = 0;  // at most ten seconds, as for the other forms below
    (function waitThenSubmit() {
      polls += 1;
      if (polls < 200 && inFlight) { window.setTimeout(waitThenSubmit, 50); return; }
      if (form.requestSubmit) { form.requestSubmit(submitter); return; }
      if (submitter && submitter.name) {  // form.submit() sends no button: add the one that was pressed
        var pressed = document.createElement("input");
        pressed.type = "hidden"; pressed.name = submitter.name; pressed.value = submitter.value;
        form.appendChild(pressed);
      }
      form.submit();
    }());
  });

  // Another form on the page (adding or removing a file) leaves the page: store the typing first, so the
  // page that comes back shows it.
  var leaving = false;
  document.addEventListener("submit", function (event) {
    var other = event.target;
    if (other === form || leaving || !form.dataset.autosaveUrl) { return; }
    if (!dirty && !inFlight) { return; }
    event.preventDefault();
    leaving = true;
    window.clearTimeout(timer);
    var submitter = event.submitter || null;
    function go() { if (other.requestSubmit) { other.requestSubmit(submitter); } else { other.submit(); } }
    var polls = 0;  // at most ten seconds: a save that keeps failing (no connection) does not hold the page
    function waitThenGo() {
      polls += 1;
      if (polls < 200 && inFlight) { window.setTimeout(waitThenGo, 50); return; }
      if (polls < 200 && dirty) { save(); window.setTimeout(waitThenGo, 50); return; }
      go();
    }
    waitThenGo();
  }, true);

  // "Add a row": copy the empty row and number it.
  Array.prototype.forEach.call(document.querySelectorAll(".lines"), function (part) {
    var button = part.querySelector(".add-line");
    var template = part.querySelector("template.line-template");
    var total = part.querySelector("input[name$='-TOTAL_FORMS']");
    var max = part.querySelector("input[name$='-MAX_NUM_FORMS']");
    if (!button || !template || !total) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var index = parseInt(total.value, 10);
      if (max && index >= parseInt(max.value, 10)) { button.disabled = true; return; }
      var html = template.innerHTML.replace(/__prefix__/g, String(index));
      var holder = document.createElement("div");
      holder.innerHTML = html;
      var row = holder.firstElementChild;
      var number = row.querySelector(".line-number");
      if (number) { number.textContent = String(index + 1); }
      part.querySelector(".line-rows").appendChild(row);
      total.value = String(index + 1);
      var first = row.querySelector("input, select, textarea");
      if (first) { first.focus(); }
    });
  });

  // The sum of the budget lines, next to the requested amount.
  var sumOut = document.getElementById("budget-total");
  var lastSum = null;
  function showSum(event) {
    if (event && !/^budget-\d+-amount$/.test(event.target.name || "")) { return; }
    if (!sumOut) { return; }
    var sum = 0;
    Array.prototype.forEach.call(form.querySelectorAll("input[name^='budget-'][name$='-amount']"), function (input) {
      var value = parseFloat(String(input.value).replace(/\s/g, "").replace(",", "."));
      if (!isNaN(value)) { sum += value; }
    });
    var text = sumOut.dataset.label + " " + sum.toLocaleString(document.documentElement.lang || "sv",
      { minimumFractionDigits: 0, maximumFractionDigits: 2 }) + " kr";
    if (text !== lastSum) { sumOut.textContent = lastSum = text; }  // announced only when it changes
  }
  form.addEventListener("input", showSum);
  showSum();
}());

// Small enhancements on top of server-rendered pages; everything works without them.
(function () {
  "use strict";

  var REFRESH_MS = 30000;
  var root = document.documentElement;
  var clinicZone = root.getAttribute("data-clinic-zone");
  // Dates in the page's own language; the label comes translated from the server.
  var language = root.lang || "uk";
  var ownTimeLabel = root.getAttribute("data-own-time-label") || "";
  var ownZone = Intl.DateTimeFormat().resolvedOptions().timeZone;

  // Next to each clinic time, the patient's own time when it reads differently there. Zones are
  // compared by what a clock shows at that moment, not by name: Europe/Kiev and Europe/Kyiv are
  // one zone, and another zone may share the clinic's offset on some dates and not on others.
  var TIME = { hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
  var DAY = { weekday: "long", day: "numeric", month: "long" };
  function shown(when, zone, options) {
    return new Intl.DateTimeFormat(language, Object.assign({ timeZone: zone }, options)).format(when);
  }
  function addLocalTimes(root) {
    if (!ownZone || !clinicZone) return;
    root.querySelectorAll("time[data-local]").forEach(function (el) {
      if (el.getAttribute("data-local-done")) return;
      el.setAttribute("data-local-done", "1");
      var when = new Date(el.getAttribute("datetime"));
      if (isNaN(when)) return;
      var sameTime = shown(when, ownZone, TIME) === shown(when, clinicZone, TIME);
      var sameDay = shown(when, ownZone, DAY) === shown(when, clinicZone, DAY);
      if (sameTime && sameDay) return;
      // A bare time ("10:30") gains the patient's day when their date differs from the clinic's.
      var withDay = el.getAttribute("data-local") !== "time" || !sameDay;
      var span = document.createElement("span");
      span.className = "local-time";
      span.textContent = ownTimeLabel + " " + shown(when, ownZone, withDay ? Object.assign({}, DAY, TIME) : TIME);
      // A time inside a range ("10:30–11:00") gets the note at the end of its sentence instead.
      var anchor = el.closest("[data-local-anchor]");
      if (anchor) anchor.appendChild(span);
      else el.insertAdjacentElement("afterend", span);
    });
  }

  // The slot list refreshes itself while the tab is visible and when it becomes visible again,
  // so a slot taken by someone else disappears; a hidden tab sends nothing.
  function refreshSlots() {
    if (document.visibilityState !== "visible") return;
    var picker = document.querySelector("[data-live-refresh]");
    if (picker) picker.dispatchEvent(new CustomEvent("refresh-slots"));
  }
  setInterval(refreshSlots, REFRESH_MS);
  document.addEventListener("visibilitychange", refreshSlots);
  window.addEventListener("focus", refreshSlots);

  // After a day is chosen, move focus to that day's heading and announce what it offers.
  var pendingFocus = null;
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-focus-after]");
    pendingFocus = link ? link.getAttribute("data-focus-after") : null;
  });
  // A day chosen in the strip brings only that day's times (#slots, which names its day): the
  // strip itself is not sent again, so the chosen day is marked here.
  function markChosenDay() {
    var slots = document.querySelector("#slots[data-day]");
    if (!slots) return;
    var chosen = document.getElementById("day-" + slots.getAttribute("data-day"));
    if (!chosen || chosen.classList.contains("day-current")) return;
    document.querySelectorAll(".days .day").forEach(function (day) {
      var current = day === chosen;
      day.classList.toggle("day-current", current);
      if (current) day.setAttribute("aria-current", "date");
      else day.removeAttribute("aria-current");
    });
  }
  // The strip of days keeps the chosen day in view (a far day would sit off-screen on a phone).
  function centreChosenDay() {
    var current = document.querySelector(".days .day-current");
    var strip = current && current.closest("ul");
    if (!strip) return;
    strip.scrollLeft = current.offsetLeft - (strip.clientWidth - current.offsetWidth) / 2;
  }

  // A form answered through htmx: focus its error summary (or message), as autofocus does for a
  // page that loads.
  function focusFormMessage() {
    var message = document.querySelector("#form-errors, #form-message");
    if (message && document.activeElement !== message) message.focus();
  }

  document.addEventListener("htmx:after:swap", function () {
    addLocalTimes(document);
    markChosenDay();
    centreChosenDay();
    focusFormMessage();
    if (!pendingFocus) return;
    var target = document.querySelector(pendingFocus);
    pendingFocus = null;
    if (!target) return;
    target.focus();
    var status = document.getElementById("picker-status");
    var hint = document.querySelector(".slots .hint, .slots .empty");
    if (status) status.textContent = target.textContent + ". " + (hint ? hint.textContent.trim() : "");
  });

  // Condition sections load their text when first opened: the partial from the section's own
  // address, asked with htmx's HX-Request header (these pages do without htmx itself, to load
  // less). An error answer is the server's notice with the clinic's phone; a lost connection
  // leaves the "Read ..." link, which opens the section's own page. Either may be retried.
  function loadSection(section, synchronously) {
    var url = section.getAttribute("data-section-src");
    var body = section.querySelector(".section-body");
    if (!url || !body || section.getAttribute("data-loaded")) return;
    section.setAttribute("data-loaded", "1");
    var request = new XMLHttpRequest();
    request.open("GET", url, !synchronously);
    request.setRequestHeader("HX-Request", "true");
    request.onload = function () {
      if (request.status !== 200) section.removeAttribute("data-loaded");
      if (request.responseText) body.innerHTML = request.responseText;
      addLocalTimes(body);
    };
    request.onerror = function () { section.removeAttribute("data-loaded"); };
    request.send();
  }
  // "toggle" does not bubble: listen in the capture phase for every section on the page.
  document.addEventListener("toggle", function (event) {
    var section = event.target;
    if (section.matches && section.matches("details.section") && section.open) loadSection(section, false);
  }, true);

  // A link to #treatment opens that section (which loads its text) and keeps it in view.
  function sectionNamed(hash) {
    if (!hash || hash.length < 2) return null;
    var target = document.getElementById(decodeURIComponent(hash.slice(1)));
    return target && target.matches("details.section") ? target : null;
  }
  function openSectionFromHash() {
    var section = sectionNamed(location.hash);
    if (!section) return;
    section.open = true;
    section.scrollIntoView();
  }
  // A section's own address (/conditions/x/treatment) lands on that section, not the page top.
  function showSectionOfPath() {
    var section = sectionNamed("#" + location.pathname.split("/").pop());
    if (section && section.open && !location.hash) section.scrollIntoView();
  }
  window.addEventListener("hashchange", openSectionFromHash);

  // "Open all sections" opens them in place (each loads its text) instead of loading a new page.
  document.addEventListener("click", function (event) {
    var control = event.target.closest && event.target.closest("[data-open-all]");
    if (!control) return;
    event.preventDefault();
    document.querySelectorAll("details.section").forEach(function (section) {
      section.open = true;
    });
  });

  // Printing prints every section. The print preview is drawn as soon as this handler returns,
  // so sections not loaded yet are fetched synchronously (deliberately; only when printing).
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details.section").forEach(function (section) {
      loadSection(section, true);
      section.open = true;
    });
  });

  // "Copy the link": the manage link is the patient's way back, so make keeping it easy.
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var source = document.querySelector(button.getAttribute("data-copy"));
    var status = button.parentElement.querySelector(".copy-status");
    if (!source) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      source.select();
      // The Clipboard API where allowed; otherwise the selected text through the older command.
      var written = navigator.clipboard ? navigator.clipboard.writeText(source.value) : Promise.reject();
      written
        .catch(function () { if (!document.execCommand("copy")) throw new Error("not copied"); })
        .then(function () { if (status) status.textContent = status.getAttribute("data-copied"); })
        .catch(function () {});
    });
  });

  addLocalTimes(document);
  centreChosenDay();
  openSectionFromHash();
  showSectionOfPath();
})();

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

  // The language switch leads to the page shown: a day chosen through htmx changed the address
  // without reloading, and a time chosen among the nearest free ones changes the form's time.
  function followLanguageLinks(path, search) {
    document.querySelectorAll("a.language-switch[data-prefix]").forEach(function (link) {
      var here = link.getAttribute("data-here") || "";
      var own = here && path.indexOf(here) === 0 ? path.slice(here.length) || "/" : path;
      link.setAttribute("href", link.getAttribute("data-prefix") + own + search);
    });
  }
  function followAddress() { followLanguageLinks(location.pathname, location.search); }
  document.addEventListener("htmx:after:history:push", followAddress);
  function followChosenTime() {
    var chosen = document.querySelector(".alternatives input[name=start]:checked");
    if (chosen) followLanguageLinks(location.pathname, "?start=" + encodeURIComponent(chosen.value));
  }
  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches(".alternatives input[name=start]")) followChosenTime();
  });
  document.addEventListener("htmx:after:settle", followChosenTime);

  document.addEventListener("htmx:after:swap", function () {
    followChosenTime();
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

  // Condition sections: htmx loads a closed section's text (data-hx-get on its <details>) when
  // it first opens, and every closed one once the page is idle, so that printing has them all.
  // A section loads once; one that failed loads again when asked.
  function isSection(el) { return el && el.matches && el.matches("details.section"); }
  document.addEventListener("htmx:before:request", function (event) {
    var section = event.target;
    if (!isSection(section)) return;
    var closing = event.detail.ctx.sourceEvent && event.detail.ctx.sourceEvent.type === "toggle" && !section.open;
    if (closing || section.hasAttribute("data-loaded") || section.hasAttribute("data-loading")) {
      event.preventDefault();
      return;
    }
    section.setAttribute("data-loading", "1");
  });
  document.addEventListener("htmx:finally:request", function (event) {
    var section = event.target;
    if (!isSection(section)) return;
    section.removeAttribute("data-loading");
    if (section.querySelector(".section-text")) section.setAttribute("data-loaded", "1");
  });
  function loadClosedSections() {
    document.querySelectorAll("details.section:not([data-loaded])").forEach(function (section) {
      section.dispatchEvent(new CustomEvent("load-section"));
    });
  }
  window.addEventListener("load", function () {
    if (window.requestIdleCallback) window.requestIdleCallback(loadClosedSections, { timeout: 4000 });
    else setTimeout(loadClosedSections, 1000);
  });

  // A link to #treatment opens that section (which loads its text) and keeps it in view.
  function sectionNamed(hash) {
    if (!hash || hash.length < 2) return null;
    var target = document.getElementById(decodeURIComponent(hash.slice(1)));
    return isSection(target) ? target : null;
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

  // "Open all sections" opens them in place (each loads its text); once every section is open
  // it reads "Close all sections" and closes them.
  var openAll = document.querySelector("[data-open-all]");
  var openLabel = openAll && openAll.textContent;
  function allOpen() {
    return Array.prototype.every.call(document.querySelectorAll("details.section"), function (s) { return s.open; });
  }
  function labelOpenAll() {
    if (openAll) openAll.textContent = allOpen() ? openAll.getAttribute("data-close-label") : openLabel;
  }
  document.addEventListener("toggle", function (event) {
    if (isSection(event.target)) labelOpenAll();
  }, true);
  document.addEventListener("click", function (event) {
    var control = event.target.closest && event.target.closest("[data-open-all]");
    if (!control) return;
    event.preventDefault();
    var open = !allOpen();
    document.querySelectorAll("details.section").forEach(function (section) { section.open = open; });
  });

  // Printing prints every section: they were loaded when the page was idle, so opening them is
  // enough; the ones opened only for printing close again afterwards.
  var openedForPrint = [];
  window.addEventListener("beforeprint", function () {
    openedForPrint = [];
    document.querySelectorAll("details.section:not([open])").forEach(function (section) {
      openedForPrint.push(section);
      section.open = true;
    });
  });
  window.addEventListener("afterprint", function () {
    openedForPrint.forEach(function (section) { section.open = false; });
    openedForPrint = [];
  });

  // Every htmx request shows that it is working (htmx marks the asking element with
  // .htmx-request; the booking form also disables its button), and says when it failed: a lost
  // connection, a timeout, or an answer that is not the app's (a proxy's 502, a captive portal's
  // page). The app answers every htmx request with a Content-Language (render() sets it) or an
  // HX-Redirect; anything else is not swapped in, so what was on the page, and what was typed,
  // stays. The message comes from <template id="request-failed">, in the page's language.
  function failureHost(source) {
    var around = source.closest("form, .picker, details.section") || source.parentElement;
    var slot = around.querySelector("[data-request-failure]");
    if (slot) return slot;
    if (isSection(around)) return around.querySelector(".section-body") || around;
    return around;
  }
  function clearFailure(source) {
    var host = source.isConnected ? failureHost(source) : null;
    var old = host && host.querySelector(".request-failed");
    if (old) old.remove();
  }
  function showFailure(source, kind) {
    var template = document.getElementById("request-failed");
    // A background refresh that failed says nothing: the picker stays, and the next one retries.
    if (!template || !source || !source.isConnected || source.hasAttribute("data-live-refresh")) return;
    clearFailure(source);
    var notice = template.content.firstElementChild.cloneNode(true);
    var booking = source.matches("form[data-hx-post]") && kind === "timeout";
    var reason = template.getAttribute(booking ? "data-timeout-booking" : "data-" + kind);
    if (source.matches("form")) reason += " " + template.getAttribute("data-kept");
    notice.querySelector(".failure-reason").textContent = reason;
    notice.querySelector("[data-retry]").addEventListener("click", function () {
      notice.remove();
      if (source.matches("form")) source.requestSubmit();
      else if (source.matches("a")) source.click();
      else source.dispatchEvent(new CustomEvent("load-section"));
    });
    failureHost(source).appendChild(notice);
    if (notice.offsetParent !== null) notice.focus();  // not inside a closed section
  }
  function isAppAnswer(headers) {
    return Boolean(headers.get("content-language") || headers.get("hx-redirect") || headers.get("hx-location"));
  }
  document.addEventListener("htmx:before:request", function (event) {
    if (event.defaultPrevented) return;
    var source = event.detail.ctx.sourceElement;
    source.setAttribute("aria-busy", "true");
    var status = document.getElementById("picker-status");
    if (status && source.matches(".day")) status.textContent = status.getAttribute("data-busy") || "";
  });
  document.addEventListener("htmx:finally:request", function (event) {
    var source = event.detail.ctx.sourceElement;
    if (source) source.removeAttribute("aria-busy");
  });
  document.addEventListener("htmx:before:response", function (event) {
    var ctx = event.detail.ctx;
    if (!document.getElementById("request-failed")) return;  // the desk: as htmx does
    if (isAppAnswer(ctx.response.headers)) {
      clearFailure(ctx.sourceElement);
      return;
    }
    event.preventDefault();
    var tooLarge = ctx.response.status === 413 || ctx.response.status === 431;
    showFailure(ctx.sourceElement, tooLarge ? "too-large" : "broken");
  });
  document.addEventListener("htmx:error", function (event) {
    var ctx = event.detail.ctx;
    if (!ctx || !ctx.sourceElement) return;
    var timedOut = ctx.request && ctx.request.signal && ctx.request.signal.reason === "timeout";
    showFailure(ctx.sourceElement, timedOut ? "timeout" : ctx.response ? "broken" : "offline");
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

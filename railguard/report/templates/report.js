(function () {
  "use strict";
  var doc = document;
  doc.documentElement.className += " js";
  doc.body.className += " js";
  var data = JSON.parse(doc.getElementById("rg-data").textContent);
  var fwButtons = Array.prototype.slice.call(doc.querySelectorAll("#fw-switch button"));
  var fwSections = Array.prototype.slice.call(doc.querySelectorAll("section.fw"));
  var items = Array.prototype.slice.call(doc.querySelectorAll("details.item"));
  var secSelect = doc.getElementById("f-section");
  var text = doc.getElementById("f-text");
  var shown = doc.getElementById("shown");
  var noneShown = doc.getElementById("none-shown");
  var current = data.frameworks.length ? data.frameworks[0].id : null;
  doc.getElementById("filters").addEventListener("submit", function (ev) { ev.preventDefault(); });
  var haystack = new Map();

  function checked(name) {
    var out = {};
    Array.prototype.forEach.call(doc.querySelectorAll("input[name=" + name + "]"), function (el) {
      out[el.value] = el.checked;
    });
    return out;
  }
  function sectionsOf(fw) {
    for (var i = 0; i < data.frameworks.length; i++) {
      if (data.frameworks[i].id === fw) { return data.frameworks[i].sections; }
    }
    return [];
  }
  function fillSections() {
    var keep = secSelect.value;
    while (secSelect.options.length > 1) { secSelect.remove(1); }
    sectionsOf(current).forEach(function (s) {
      var o = doc.createElement("option");
      o.value = s; o.textContent = s;
      secSelect.appendChild(o);
    });
    secSelect.value = sectionsOf(current).indexOf(keep) >= 0 ? keep : "";
  }
  function textOf(el) {
    var t = haystack.get(el);
    if (t === undefined) { t = el.textContent.toLowerCase(); haystack.set(el, t); }
    return t;
  }
  function apply() {
    var results = checked("result"), severities = checked("severity");
    var section = secSelect.value, q = text.value.trim().toLowerCase();
    var visible = 0, total = 0;
    fwSections.forEach(function (s) { s.hidden = current !== null && fwButtons.length > 0 && s.getAttribute("data-fw") !== current; });
    items.forEach(function (el) {
      var inFw = fwButtons.length === 0 || el.getAttribute("data-fw") === current;
      if (inFw) { total++; }
      var ok = inFw && results[el.getAttribute("data-result")] !== false &&
        severities[el.getAttribute("data-severity")] !== false &&
        (!section || el.getAttribute("data-section") === section) &&
        (!q || textOf(el).indexOf(q) >= 0);
      el.hidden = !ok;
      if (ok) { visible++; }
    });
    Array.prototype.forEach.call(doc.querySelectorAll("div.sec"), function (sec) {
      sec.hidden = sec.querySelector("details.item:not([hidden])") === null;
    });
    shown.textContent = visible + " of " + total + " items shown";
    noneShown.hidden = visible !== 0;
  }
  function selectFramework(fw) {
    current = fw;
    fwButtons.forEach(function (b) { b.setAttribute("aria-pressed", b.getAttribute("data-fw") === fw ? "true" : "false"); });
    fillSections();
    apply();
  }
  fwButtons.forEach(function (b) {
    b.addEventListener("click", function () { selectFramework(b.getAttribute("data-fw")); });
  });
  Array.prototype.forEach.call(doc.querySelectorAll("#filters input[type=checkbox], #f-section"), function (el) {
    el.addEventListener("change", apply);
  });
  text.addEventListener("input", apply);
  Array.prototype.forEach.call(doc.querySelectorAll("button.sec-link"), function (b) {
    b.addEventListener("click", function () {
      secSelect.value = b.getAttribute("data-section");
      apply();
      secSelect.scrollIntoView({block: "nearest"});
    });
  });
  doc.getElementById("expand").addEventListener("click", function () {
    items.forEach(function (el) { if (!el.hidden) { el.open = true; } });
  });
  doc.getElementById("collapse").addEventListener("click", function () {
    items.forEach(function (el) { el.open = false; });
  });
  // the filter bar stays on top while scrolling: nothing the reader opens or jumps to goes under it
  var bar = doc.getElementById("filters");
  function barHeight() {
    return getComputedStyle(bar).position === "sticky" ? bar.getBoundingClientRect().height : 0;
  }
  function measure() { doc.documentElement.style.setProperty("--sticky-h", barHeight() + "px"); }
  window.addEventListener("resize", measure);
  items.forEach(function (el) {
    el.addEventListener("toggle", function () {
      if (!el.open) { return; }
      var top = el.getBoundingClientRect().top, covered = barHeight() + 8;
      if (top < covered) { window.scrollBy(0, top - covered); }
    });
  });
  measure();
  selectFramework(current);
})();

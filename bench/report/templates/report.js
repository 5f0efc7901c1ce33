// tokbench report: sortable/filterable per-utterance tables, row expansion, A/B toggle.
(function () {
  "use strict";
  function cellValue(row, index, type) {
    var cell = row.cells[index];
    var raw = cell.hasAttribute("data-v") ? cell.getAttribute("data-v") : cell.textContent;
    if (type !== "num") { return raw.toLowerCase(); }
    return raw === "" ? NaN : parseFloat(raw);
  }
  function sortTable(table, th) {
    var index = Array.prototype.indexOf.call(th.parentNode.children, th);
    var type = th.getAttribute("data-type");
    var ascending = !th.classList.contains("asc");
    table.querySelectorAll("th.sortable").forEach(function (h) { h.classList.remove("asc", "desc"); });
    th.classList.add(ascending ? "asc" : "desc");
    var body = table.tBodies[0];
    var pairs = Array.prototype.map.call(body.querySelectorAll("tr.utt"), function (row) {
      return [row, row.nextElementSibling];
    });
    pairs.sort(function (a, b) {
      var x = cellValue(a[0], index, type), y = cellValue(b[0], index, type);
      if (type === "num") {  // missing values last in either direction
        if (isNaN(x) || isNaN(y)) { return isNaN(x) - isNaN(y); }
        return ascending ? x - y : y - x;
      }
      return ascending ? (x < y ? -1 : x > y ? 1 : 0) : (x < y ? 1 : x > y ? -1 : 0);
    });
    pairs.forEach(function (p) { body.appendChild(p[0]); body.appendChild(p[1]); });
  }
  function showMetric(table, metric) {
    table.querySelectorAll(".mcol").forEach(function (c) {
      c.hidden = c.getAttribute("data-metric") !== metric;
    });
  }
  function filterRows(table, text) {
    text = text.trim().toLowerCase();
    table.querySelectorAll("tr.utt").forEach(function (row) {
      var match = !text || row.getAttribute("data-search").indexOf(text) >= 0;
      row.hidden = !match;
      if (!match) { row.nextElementSibling.hidden = true; row.classList.remove("open"); }
    });
  }
  function switchSource(box, button) {
    var audio = box.querySelector("audio.ab-audio");
    var position = audio.currentTime, playing = !audio.paused;
    box.querySelectorAll(".ab-btn").forEach(function (b) { b.classList.toggle("on", b === button); });
    audio.addEventListener("loadedmetadata", function () {
      audio.currentTime = Math.min(position, audio.duration || position);
      if (playing) { audio.play().catch(function () {}); }
    }, { once: true });
    audio.src = button.getAttribute("data-ab-src");
    audio.load();
  }
  document.querySelectorAll("section.dataset").forEach(function (section) {
    var table = section.querySelector("table.utts");
    if (!table) { return; }
    var select = section.querySelector(".metric-select");
    var filter = section.querySelector(".filter");
    if (select) {
      showMetric(table, select.value);
      select.addEventListener("change", function () { showMetric(table, select.value); });
    }
    if (filter) { filter.addEventListener("input", function () { filterRows(table, filter.value); }); }
    table.querySelectorAll("th.sortable").forEach(function (th) {
      th.addEventListener("click", function () { sortTable(table, th); });
    });
    table.querySelectorAll("tr.utt").forEach(function (row) {
      row.addEventListener("click", function () {
        var detail = row.nextElementSibling;
        // media load on first opening, so a page of thousands of utterances opens at once
        detail.querySelectorAll("[data-src]:not([src])").forEach(function (el) {
          el.setAttribute("src", el.getAttribute("data-src"));
        });
        detail.hidden = !detail.hidden;
        row.classList.toggle("open", !detail.hidden);
      });
    });
    table.querySelectorAll(".ab").forEach(function (box) {
      box.querySelectorAll(".ab-btn").forEach(function (button) {
        button.addEventListener("click", function () { switchSource(box, button); });
      });
    });
  });
}());

(function () {
  "use strict";
  // Filter findings by text, rule and level; hide groups left empty.
  var text = document.getElementById("filter-text");
  var rule = document.getElementById("filter-rule");
  var level = document.getElementById("filter-level");
  var count = document.getElementById("filter-count");
  var onlyNew = document.getElementById("filter-new");  // present when the report has a previous run
  function apply() {
    var q = text.value.trim().toLowerCase(), r = rule.value, l = level.value, shown = 0;
    var n = onlyNew && onlyNew.checked;
    document.querySelectorAll(".finding").forEach(function (el) {
      var ok = (!r || el.dataset.rule === r) && (!l || el.dataset.level === l) &&
        (!n || el.dataset.new === "1") &&
        (!q || el.textContent.toLowerCase().indexOf(q) >= 0);
      el.hidden = !ok;
      if (ok) { shown += 1; }
    });
    document.querySelectorAll(".group").forEach(function (g) {
      g.hidden = !g.querySelector(".finding:not([hidden])");
    });
    count.textContent = (q || r || l || n) ? "显示 " + shown + " 条问题" : "";
  }
  [text, rule, level, onlyNew].filter(Boolean).forEach(function (el) {
    el.addEventListener("input", apply);
    el.addEventListener("change", apply);
  });
  // Sort a table by the clicked column: numbers numerically, text in Chinese order.
  document.querySelectorAll("table.sortable thead th").forEach(function (th) {
    th.addEventListener("click", function () {
      var body = th.closest("table").tBodies[0], i = th.cellIndex, asc = th.dataset.dir !== "asc";
      th.parentNode.querySelectorAll("th").forEach(function (h) { delete h.dataset.dir; });
      th.dataset.dir = asc ? "asc" : "desc";
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[i].dataset.sort || "", y = b.cells[i].dataset.sort || "";
        var nx = Number(x), ny = Number(y);
        var c = (x !== "" && y !== "" && !isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y, "zh");
        return asc ? c : -c;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
})();

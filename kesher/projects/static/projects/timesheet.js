// The timesheet grid's keys: arrows move between the cells (in reading order, so in Hebrew
// the left arrow goes to the next day), Enter saves through the form (REQ PR-2).
(function () {
  "use strict";
  function cells(table) {
    return Array.from(table.querySelectorAll("tbody tr")).map(function (tr) {
      return Array.from(tr.querySelectorAll("input.ts-cell"));
    });
  }
  document.addEventListener("keydown", function (event) {
    var input = event.target;
    if (!input.classList || !input.classList.contains("ts-cell")) return;
    var table = input.closest("table");
    var grid = cells(table);
    var row = grid.findIndex(function (r) { return r.indexOf(input) !== -1; });
    var col = grid[row].indexOf(input);
    var rtl = document.documentElement.dir === "rtl";
    var moves = {ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, rtl ? 1 : -1], ArrowRight: [0, rtl ? -1 : 1]};
    var move = moves[event.key];
    if (!move) return;
    var r = row + move[0], c = col + move[1];
    while (grid[r] && grid[r][c] && grid[r][c].disabled) { r += move[0]; c += move[1]; }
    if (grid[r] && grid[r][c]) {
      event.preventDefault();
      grid[r][c].focus();
      grid[r][c].select();
    }
  });
})();

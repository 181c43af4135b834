// The line grid (REQ SA-10): Enter moves to the same cell of the next line (Shift+Enter: the
// line before) instead of submitting; the focus comes back to its cell after the server's
// answer replaces the grid.
(() => {
  let focused = null;
  document.addEventListener("keydown", (event) => {
    const cell = event.target.closest("[data-lines-grid] [data-cell]");
    if (!cell || event.key !== "Enter" || cell.matches("[data-picker-for]")) return;
    event.preventDefault();
    const [row, column] = cell.dataset.cell.split("-");
    const next = Number(row) + (event.shiftKey ? -1 : 1);
    const target =
      document.querySelector(`[data-cell="${next}-${column}"]`) ||
      document.querySelector('[data-cell="new-product"]');
    cell.dispatchEvent(new Event("change", { bubbles: true }));
    focused = target ? target.dataset.cell : null;
  });
  document.addEventListener("focusin", (event) => {
    const cell = event.target.closest("[data-lines-grid] [data-cell]");
    if (cell) focused = cell.dataset.cell;
  });
  document.addEventListener("htmx:afterSwap", (event) => {
    if (!event.detail.target.matches("[data-lines-grid]") && event.detail.target.id !== "lines-grid") return;
    const again = focused && document.querySelector(`[data-cell="${focused}"]`);
    if (again) again.focus();
  });
})();

// The board's drag and drop (native HTML5): dropping a card on another column sends the card's
// own "move to" form with that column's stage, so a drag and the keyboard do the same request.
(function () {
  let dragged = null;
  document.addEventListener("dragstart", (event) => {
    const card = event.target.closest && event.target.closest(".board-card[draggable=true]");
    if (!card) return;
    dragged = card;
    card.classList.add("board-dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.deal);
  });
  document.addEventListener("dragend", () => {
    if (dragged) dragged.classList.remove("board-dragging");
    document.querySelectorAll(".board-drop").forEach((c) => c.classList.remove("board-drop"));
    dragged = null;
  });
  document.addEventListener("dragover", (event) => {
    const column = event.target.closest && event.target.closest(".board-column");
    if (!column || !dragged) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    document.querySelectorAll(".board-drop").forEach((c) => c !== column && c.classList.remove("board-drop"));
    column.classList.add("board-drop");
  });
  document.addEventListener("drop", (event) => {
    const column = event.target.closest && event.target.closest(".board-column");
    if (!column || !dragged) return;
    event.preventDefault();
    const form = dragged.querySelector("form.board-move");
    const select = form && form.querySelector("select[name=stage]");
    if (!select || select.value === column.dataset.stage) return;
    select.value = column.dataset.stage;
    form.requestSubmit();
  });
})();

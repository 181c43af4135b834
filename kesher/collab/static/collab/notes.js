// The note box (kesher.collab): typing "@" and a name in the note searches the people who
// may see the record (the mention picker beside it, htmx); choosing one writes "@Name" into
// the note and adds the person to the note's mentions (the picker's chip).
(() => {
  const MENTION = /@([^\s@]{1,30})$/u;
  document.addEventListener("input", (event) => {
    const body = event.target.closest("[data-mention-box] textarea");
    if (!body) return;
    const typed = body.value.slice(0, body.selectionStart).match(MENTION);
    const search = body.form.querySelector("[data-picker-for]");
    if (!typed || !search) return;
    search.value = typed[1];
    search.dispatchEvent(new Event("input", { bubbles: true }));
  });
  document.addEventListener("click", (event) => {
    const option = event.target.closest("[data-mention]");
    if (!option) return;
    const box = document.querySelector("[data-mention-box]");
    const body = box && box.querySelector("textarea");
    if (!body) return;
    const before = body.value.slice(0, body.selectionStart);
    const after = body.value.slice(body.selectionStart);
    const name = `@${option.dataset.label} `;
    const start = before.replace(MENTION, "");
    const spaced = start && !/\s$/u.test(start) ? `${start} ` : start;
    body.value = spaced + name + after;
    body.focus();
    body.selectionStart = body.selectionEnd = (spaced + name).length;
  });
})();

// Kesher's small client-side helpers (no build step; htmx does the rest).
document.addEventListener("click", (event) => {
  const option = event.target.closest("[data-pick]");
  if (!option) return;
  const hidden = document.getElementById(option.dataset.target);
  const visible = document.querySelector(`[data-picker-for="${option.dataset.target}"]`);
  if (hidden) hidden.value = option.dataset.pick;
  if (visible) visible.value = option.dataset.label;
  option.closest(".picker-options").innerHTML = "";
});
document.addEventListener("click", (event) => {
  const popup = document.getElementById("search-popup");
  if (popup && !event.target.closest("[role=search]")) popup.innerHTML = "";
});
// A dependent pick-list whose options were just replaced lets its own dependents follow
// (parent → child → grandchild, REQ CX-6).
document.addEventListener("htmx:afterSwap", (event) => {
  const target = event.detail.target;
  if (target && target.matches && target.matches("select[data-dependent]")) {
    target.dispatchEvent(new Event("change", { bubbles: true }));
  }
});
// A picker whose kind of record can change (the relationships panel: "with an account" or "with
// a contact", REQ CU-5): point the search box at the chosen kind's suggestions and forget the
// record picked before.
document.addEventListener("change", (event) => {
  const kind = event.target.closest("select[data-picker-kind]");
  if (!kind) return;
  const search = document.getElementById(kind.dataset.pickerKind);
  const chosen = kind.selectedOptions[0];
  const previous = document.getElementById(search.dataset.pickerFor);
  if (previous) previous.value = "";
  search.value = "";
  search.dataset.pickerFor = chosen.dataset.target;
  search.setAttribute("hx-get", chosen.dataset.url);
  search.setAttribute("hx-vals", JSON.stringify({ target: chosen.dataset.target }));
  search.parentElement.querySelector(".picker-options").innerHTML = "";
  htmx.process(search);
});

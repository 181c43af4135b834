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

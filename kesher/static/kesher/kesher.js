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

// Kesher's small client-side helpers (no build step; htmx does the rest).
// A suggestion picked: a record picker keeps its id (and says so with "change", for whatever
// follows the choice); a picker of several records adds a chip unless it holds that one already.
document.addEventListener("click", (event) => {
  const option = event.target.closest("[data-pick]");
  if (!option) return;
  const target = document.getElementById(option.dataset.target);
  const visible = document.querySelector(`[data-picker-for="${option.dataset.target}"]`);
  if (target && target.dataset.recordsPicker) {
    addChip(target, option.dataset.pick, option.dataset.label);
    if (visible) visible.value = "";
  } else {
    // The link picker fills the kind of record too (link_type beside link_id), before the
    // change that tells whatever follows the choice.
    const kind = option.dataset.kindTarget && document.getElementById(option.dataset.kindTarget);
    if (kind) kind.value = option.dataset.kind;
    if (target) {
      target.value = option.dataset.pick;
      target.dispatchEvent(new Event("change", { bubbles: true }));
    }
    if (visible) visible.value = option.dataset.label;
  }
  const options = option.closest(".picker-options");
  const offered = option.closest("[data-suggestions]");
  if (options) options.innerHTML = "";
  // A suggestion offered beside the picker is used once; with the last one goes its caption.
  if (offered) {
    option.remove();
    if (!offered.querySelector("[data-pick]")) offered.remove();
  }
  if (visible) visible.focus();
});
function addChip(picker, pk, label) {
  const name = picker.dataset.recordsPicker;
  const chosen = picker.querySelector(".records-picker-chosen");
  if ([...chosen.querySelectorAll("input")].some((input) => input.value === pk)) return;
  const chip = picker.querySelector("template").content.firstElementChild.cloneNode(true);
  const input = chip.querySelector("input");
  input.name = name;
  input.value = pk;
  chip.querySelector("bdi").textContent = label;
  const remove = chip.querySelector("[data-unpick]");
  remove.setAttribute("aria-label", remove.getAttribute("aria-label").replace("{name}", label));
  chosen.append(chip);
}
document.addEventListener("click", (event) => {
  const remove = event.target.closest("[data-unpick]");
  if (!remove) return;
  const picker = remove.closest("[data-records-picker]");
  remove.closest("li").remove();
  picker.querySelector(`[data-picker-for="${picker.id}"]`)?.focus();
});
// A picker's search box emptied: no record is chosen any more.
document.addEventListener("input", (event) => {
  const search = event.target.closest("[data-picker-for]");
  if (!search || search.value.trim()) return;
  for (const id of [search.dataset.pickerFor, search.dataset.kindFor]) {
    const hidden = id && document.getElementById(id);
    if (hidden) hidden.value = "";
  }
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
  if (previous) {
    previous.value = "";
    previous.dispatchEvent(new Event("change", { bubbles: true }));
  }
  search.value = "";
  search.dataset.pickerFor = chosen.dataset.target;
  search.setAttribute("hx-get", chosen.dataset.url);
  search.setAttribute("hx-vals", JSON.stringify({ target: chosen.dataset.target }));
  search.parentElement.querySelector(".picker-options").innerHTML = "";
  htmx.process(search);
});

// The filter builder of list pages: rows of field / operator / value, written as the filter
// language's JSON into the list form's hidden "filter" input (REQ CX-8).
(() => {
  const dataNode = document.getElementById("filter-builder-data");
  const rowsNode = document.getElementById("builder-rows");
  if (!dataNode || !rowsNode) return;
  const data = JSON.parse(dataNode.textContent);
  const labels = data.labels;
  const fields = Object.fromEntries(data.fields.map((f) => [f.field, f]));
  const hidden = document.getElementById("filter-json");
  const joinSelect = document.getElementById("builder-join");
  const noValue = new Set(["empty", "not_empty"]);

  const option = (value, label, selected) => {
    const node = document.createElement("option");
    node.value = value;
    node.textContent = label;
    node.selected = selected;
    return node;
  };

  function valueInput(field, op, value) {
    if (noValue.has(op)) return null;
    let input;
    if (op === "period") {
      input = document.createElement("select");
      for (const [key, label] of Object.entries(data.periods)) input.append(option(key, label, key === value));
    } else if (field.kind === "boolean") {
      input = document.createElement("select");
      input.append(option("true", labels.yes, value !== false), option("false", labels.no, value === false));
    } else if (field.choices && field.choices.length) {
      input = document.createElement("select");
      if (op === "in" || op === "not_in") input.multiple = true;
      const chosen = new Set([].concat(value ?? []).map(String));
      for (const [key, label] of field.choices) input.append(option(key, label, chosen.has(String(key))));
    } else {
      input = document.createElement("input");
      const days = op === "within_last_days" || op === "within_next_days";
      input.type = days || field.kind === "number" || field.kind === "ref" ? "number"
        : field.kind === "date" || field.kind === "datetime" ? "date" : "text";
      if (op === "between") input.placeholder = labels.between;
      if (value !== undefined && value !== null) input.value = Array.isArray(value) ? value.join(", ") : value;
    }
    input.className = input.tagName === "SELECT" ? "form-select form-select-sm" : "form-control form-control-sm";
    input.dataset.role = "value";
    input.setAttribute("aria-label", labels.value);
    return input;
  }

  function addRow(condition = {}) {
    const row = document.createElement("div");
    row.className = "d-flex flex-wrap gap-2 builder-row";
    const fieldSelect = document.createElement("select");
    fieldSelect.className = "form-select form-select-sm w-auto";
    fieldSelect.dataset.role = "field";
    fieldSelect.setAttribute("aria-label", labels.field);
    for (const f of data.fields) fieldSelect.append(option(f.field, f.label, f.field === condition.field));
    const opSelect = document.createElement("select");
    opSelect.className = "form-select form-select-sm w-auto";
    opSelect.dataset.role = "op";
    opSelect.setAttribute("aria-label", labels.op);
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "btn btn-sm btn-outline-danger";
    remove.textContent = "✕";
    remove.setAttribute("aria-label", labels.remove);
    remove.addEventListener("click", () => row.remove());
    const refresh = (value) => {
      const field = fields[fieldSelect.value];
      const current = opSelect.value || condition.op;
      opSelect.replaceChildren(...field.ops.map((op) => option(op, data.ops[op] || op, op === current)));
      row.querySelector("[data-role=value]")?.remove();
      const input = valueInput(field, opSelect.value, value);
      if (input) opSelect.after(input);
    };
    fieldSelect.addEventListener("change", () => { opSelect.value = ""; refresh(); });
    opSelect.addEventListener("change", () => refresh());
    row.append(fieldSelect, opSelect, remove);
    rowsNode.append(row);
    refresh(condition.value);
  }

  function readValue(field, op, input) {
    if (!input) return undefined;
    if (input.multiple) return [...input.selectedOptions].map((o) => coerce(field, o.value));
    if (op === "between") return input.value.split(",").map((v) => coerce(field, v.trim()));
    if (op === "within_last_days" || op === "within_next_days") return parseInt(input.value, 10);
    if (field.kind === "boolean" && op !== "period") return input.value === "true";
    if (op === "period") return input.value;
    return coerce(field, input.value);
  }

  function coerce(field, text) {
    if (field.kind === "number") return Number(text);
    if (field.kind === "ref" || (field.kind === "multi" && !field.choices?.[0]?.[0]?.length)) {
      const number = parseInt(text, 10);
      return Number.isNaN(number) ? text : number;
    }
    return text;
  }

  function expression() {
    const conditions = [...rowsNode.querySelectorAll(".builder-row")].map((row) => {
      const field = fields[row.querySelector("[data-role=field]").value];
      const op = row.querySelector("[data-role=op]").value;
      const value = readValue(field, op, row.querySelector("[data-role=value]"));
      return value === undefined ? { field: field.field, op } : { field: field.field, op, value };
    });
    return conditions.length ? { [joinSelect.value]: conditions } : null;
  }

  try {
    const current = hidden.value ? JSON.parse(hidden.value) : null;
    const join = current && (current.all ? "all" : current.any ? "any" : null);
    if (join) {
      joinSelect.value = join;
      current[join].filter((c) => c.field in fields).forEach(addRow);
    }
  } catch (error) { /* a hand-written filter the builder cannot show stays as it is */ }

  const submit = () => {
    const form = hidden.form;
    form.requestSubmit ? form.requestSubmit() : form.submit();
  };
  document.getElementById("builder-add").addEventListener("click", () => addRow());
  document.getElementById("builder-apply").addEventListener("click", () => {
    const value = expression();
    hidden.value = value ? JSON.stringify(value) : "";
    document.querySelector("[data-current=filter]").value = hidden.value;
    submit();
  });
  document.getElementById("builder-clear").addEventListener("click", () => {
    rowsNode.replaceChildren();
    hidden.value = "";
    document.querySelector("[data-current=filter]").value = "";
    submit();
  });
  document.getElementById("columns-apply")?.addEventListener("click", () => {
    const chosen = [...document.querySelectorAll(".column-choice:checked")].map((c) => c.value);
    document.getElementById("columns-input").value = chosen.join(",");
    document.querySelector("#save-view-form [name=columns]").value = chosen.join(",");
    hidden.form.submit();
  });
})();

// "Select all on this page" for bulk actions.
document.addEventListener("change", (event) => {
  if (event.target.id !== "select-page") return;
  document.querySelectorAll(".row-select").forEach((box) => { box.checked = event.target.checked; });
});

// The record page. A part folded or unfolded is remembered per kind of record, in a cookie the
// server reads to render the page as it was left (FOLDED_COOKIE in platform/ui/views.py).
const FOLDED_COOKIE = "kesher_folded";
function rememberFold(event) {
  const part = event.target.dataset && event.target.dataset.fold;
  if (!part) return;
  const stored = document.cookie.split("; ").find((c) => c.startsWith(`${FOLDED_COOKIE}=`));
  const tokens = stored ? stored.slice(FOLDED_COOKIE.length + 1).split("|") : [];
  const kept = tokens.filter((token) => token && token.slice(0, -1) !== part);
  kept.push(part + (event.type === "shown.bs.collapse" ? "+" : "-"));
  document.cookie = `${FOLDED_COOKIE}=${kept.slice(-40).join("|")}; path=/; max-age=31536000; samesite=lax`;
}
document.addEventListener("shown.bs.collapse", rememberFold);
document.addEventListener("hidden.bs.collapse", rememberFold);
// A form a header action opened (log a call, new task) takes the focus; "Cancel" closes it.
document.addEventListener("htmx:afterSwap", (event) => {
  if (event.detail.target.id !== "record-action-form") return;
  event.detail.target.querySelector("input:not([type=hidden]), select, textarea")?.focus();
});
document.addEventListener("click", (event) => {
  const close = event.target.closest("[data-close-form]");
  if (close) close.closest("form").remove();
});
// The file box of the page's own language says which file was chosen.
document.addEventListener("change", (event) => {
  const input = event.target.closest(".file-upload input[type=file]");
  if (!input) return;
  const shown = input.form.querySelector(".file-chosen");
  shown.textContent = input.files.length ? input.files[0].name : shown.dataset.empty;
});

// The rows of a new pick-list field's values (the custom-field form): "Add a value" appends a
// row and puts the cursor in it; ✕ takes one away (the last one is emptied instead).
document.addEventListener("click", (event) => {
  const add = event.target.closest("[data-add-row]");
  const remove = event.target.closest("[data-remove-row]");
  const editor = (add || remove)?.closest("[data-value-rows]");
  if (!editor) return;
  const list = editor.querySelector(".value-rows-list");
  if (add) {
    const row = editor.querySelector("template").content.firstElementChild.cloneNode(true);
    list.append(row);
    row.querySelector("input").focus();
  } else if (list.children.length > 1) {
    const row = remove.closest(".value-row");
    (row.nextElementSibling || row.previousElementSibling).querySelector("input").focus();
    row.remove();
  } else {
    remove.closest(".value-row").querySelectorAll("input").forEach((input) => { input.value = ""; });
  }
});
// A field shown only for some values of another (the values editor for pick-list types).
function showDependents() {
  document.querySelectorAll("[data-shown-with]").forEach((node) => {
    const form = node.closest("form");
    const chooser = form && form.elements[node.dataset.shownWith];
    if (!chooser) return;
    const shown = node.dataset.shownFor.split(" ").includes(chooser.value);
    node.closest("[data-field-name]").hidden = !shown;
  });
}
document.addEventListener("change", (event) => {
  if (event.target.name && document.querySelector(`[data-shown-with="${event.target.name}"]`)) showDependents();
});
showDependents();
// Behaviour the pages ask for by attribute, since the Content-Security-Policy allows no inline
// script (issue 24 item 8): a filter that applies on change, a confirmation before a button acts,
// a read-only field selected whole on click.
document.addEventListener("change", (event) => {
  const field = event.target.closest("[data-submit-on-change]");
  if (field && field.form) field.form.requestSubmit();
});
document.addEventListener("click", (event) => {
  const asking = event.target.closest("[data-confirm]");
  if (asking && !window.confirm(asking.dataset.confirm)) event.preventDefault();
  const selecting = event.target.closest("[data-select-on-click]");
  if (selecting) selecting.select();
});
// A button with data-insert-text puts its text into the box data-insert-into names, where the
// cursor is (a canned reply into a ticket's reply).
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-insert-text]");
  if (!button) return;
  const box = document.querySelector(button.dataset.insertInto);
  if (!box) return;
  const start = box.selectionStart ?? box.value.length;
  const end = box.selectionEnd ?? start;
  const text = button.dataset.insertText;
  box.value = box.value.slice(0, start) + text + box.value.slice(end);
  box.selectionStart = box.selectionEnd = start + text.length;
  box.focus();
  box.dispatchEvent(new Event("input", { bubbles: true }));
});
// A grid that saves as it is edited (a quote's lines): a change outside its pickers' search
// boxes — a picker reports its choice through its hidden input — asks the server to price the
// lines again. A trigger filter would need eval, which the Content-Security-Policy forbids.
document.addEventListener("change", (event) => {
  const grid = event.target.closest("[data-lines-grid]");
  if (grid && !event.target.matches("[data-picker-for]")) {
    grid.dispatchEvent(new Event("grid-change"));
  }
});
// An SMS reply's length and parts as it is typed (decision 0124): the same count as the
// server's ``sms_parts`` — 160 GSM characters in one part, 153 a part beyond, the extension
// table's counting two; any other character (Hebrew) makes it 70, then 67, UTF-16 units.
(() => {
  const BASIC = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡" +
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  const EXTENSION = "^{}\\[~]|€\f";
  const parts = (text) => {
    const gsm = [...text].every((c) => BASIC.includes(c) || EXTENSION.includes(c));
    const length = gsm ? [...text].reduce((n, c) => n + (EXTENSION.includes(c) ? 2 : 1), 0) : text.length;
    const [single, multi] = gsm ? [160, 153] : [70, 67];
    return { length, parts: length === 0 ? 0 : length <= single ? 1 : Math.ceil(length / multi) };
  };
  const update = (box) => {
    const output = document.getElementById(box.dataset.smsCounter || "");
    if (!output) return;
    const counted = parts(box.value);
    output.textContent = output.dataset.template
      .replace("{length}", counted.length).replace("{parts}", counted.parts);
    output.classList.toggle("text-danger", counted.parts > Number(output.dataset.max));
  };
  document.addEventListener("input", (event) => {
    if (event.target.matches("[data-sms-counter]")) update(event.target);
  });
  document.addEventListener("htmx:afterSwap", () => {
    document.querySelectorAll("[data-sms-counter]").forEach(update);
  });
})();

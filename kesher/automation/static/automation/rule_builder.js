// The rule builder (issue 5 item 6): the trigger's settings, conditions on the change and the
// ordered action list, written as JSON into the rule form's hidden inputs when it is sent.
// The condition uses the list pages' filter builder (kesher.js) on the same form.
(() => {
  const dataNode = document.getElementById("rule-builder-data");
  const form = document.getElementById("rule-form");
  if (!dataNode || !form) return;
  const data = JSON.parse(dataNode.textContent);
  const labels = data.labels;
  const el = (tag, attrs = {}, children = []) => {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (key === "text") node.textContent = value;
      else if (key === "className") node.className = value;
      else node.setAttribute(key, value);
    }
    node.append(...children);
    return node;
  };
  const option = (value, label, selected) => {
    const node = el("option", { value: String(value), text: label });
    node.selected = selected;
    return node;
  };
  let counter = 0;

  // "Fields and values" (update fields, create a record): a row per field, its value typed as
  // in a form. The fields offered are those of the rule's entity, or of the kind of record the
  // action creates (its "entity" setting, when it has one).
  function fieldValuesInput(field, value, container) {
    const wrap = el("div", { className: "col-12" });
    const rows = el("div", { className: "d-flex flex-column gap-2 field-values" });
    rows.dataset.setting = field.name;
    rows.dataset.kind = "field_values";
    const entityOf = () => container.querySelector("[data-setting=entity]")?.value || data.entity;
    const fieldsOf = () => data.options.field_values[entityOf()] || [];
    // The value: the list's values for a pick-list field, else typed as in a form.
    function valueControl(name, text) {
      const choices = (fieldsOf().find(([key]) => key === name) || [])[2] || [];
      const shown = text === null || text === undefined ? "" : typeof text === "object" ? JSON.stringify(text) : String(text);
      let control;
      if (choices.length) {
        control = el("select", { className: "form-select form-select-sm w-auto", "aria-label": labels.value });
        for (const [value, label] of choices) control.append(option(value, label, value === shown));
      } else {
        control = el("input", { className: "form-control form-control-sm w-auto", "aria-label": labels.value, placeholder: labels.value });
        control.value = shown;
      }
      control.dataset.role = "value";
      return control;
    }
    function addRow(key = "", text = "") {
      const row = el("div", { className: "d-flex flex-wrap gap-2 value-row" });
      const pick = el("select", { className: "form-select form-select-sm w-auto", "aria-label": labels.field });
      for (const [name, label] of fieldsOf()) pick.append(option(name, label, name === key));
      pick.dataset.role = "field";
      let control = valueControl(pick.value, text);
      pick.addEventListener("change", () => {
        const next = valueControl(pick.value, "");
        control.replaceWith(next);
        control = next;
      });
      const remove = el("button", { type: "button", className: "btn btn-sm btn-outline-danger", "aria-label": labels.remove, text: "✕" });
      remove.addEventListener("click", () => row.remove());
      row.append(pick, control, remove);
      rows.append(row);
    }
    const add = el("button", { type: "button", className: "btn btn-sm btn-outline-primary align-self-start", text: `+ ${labels.add_field}` });
    add.addEventListener("click", () => addRow());
    const entries = Object.entries(value || {});
    if (entries.length) entries.forEach(([key, text]) => addRow(key, text));
    else addRow();
    // A different kind of record has other fields: offer its own.
    container.querySelector("[data-setting=entity]")?.addEventListener("change", () => {
      rows.replaceChildren();
      addRow();
    });
    wrap.append(el("div", { className: "form-label small", text: field.label }), rows, add);
    return wrap;
  }

  // One setting's input, by the kind its trigger or action declares.
  function settingInput(field, value, container) {
    if (field.kind === "field_values") return fieldValuesInput(field, value, container);
    const id = `setting-${++counter}`;
    const wrap = el("div", { className: "col-12 col-md-4" });
    let input;
    const pickFrom = field.kind === "select" ? field.options : data.options[field.kind];
    if (field.kind === "bool") {
      input = el("input", { type: "checkbox", className: "form-check-input", id });
      input.checked = value === true;
      wrap.className += " align-self-end";
      wrap.append(el("div", { className: "form-check" }, [input, el("label", { className: "form-check-label", for: id, text: field.label })]));
    } else {
      if (pickFrom) {
        input = el("select", { className: "form-select form-select-sm", id });
        if (field.default && (value === undefined || value === "")) value = field.default;
        if (!field.default && (!field.required || field.kind === "status")) input.append(option("", labels.any, value === undefined || value === ""));
        for (const [key, label] of pickFrom) input.append(option(key, label, String(key) === String(value ?? "")));
      } else if (field.kind === "long_text" || field.kind === "json") {
        input = el("textarea", { className: "form-control form-control-sm", rows: "2", id });
        input.value = field.kind === "json" ? (value ? JSON.stringify(value) : "") : (value ?? "");
        if (field.kind === "json") input.placeholder = '{"field": "value"}';
      } else {
        input = el("input", { className: "form-control form-control-sm", id, type: field.kind === "number" ? "number" : "text" });
        input.value = value ?? "";
      }
      wrap.append(el("label", { className: "form-label small", for: id, text: field.label }), input);
    }
    input.dataset.setting = field.name;
    input.dataset.kind = field.kind;
    return wrap;
  }

  function readSettings(container) {
    const settings = {};
    for (const input of container.querySelectorAll("[data-setting]")) {
      const kind = input.dataset.kind;
      if (kind === "field_values") {
        const values = {};
        for (const row of input.querySelectorAll(".value-row")) {
          const key = row.querySelector("[data-role=field]").value;
          if (key) values[key] = row.querySelector("[data-role=value]").value.trim();
        }
        if (Object.keys(values).length) settings[input.dataset.setting] = values;
        continue;
      }
      let value = input.type === "checkbox" ? input.checked : input.value.trim();
      if (input.type !== "checkbox" && value === "") continue;
      const byId = ["user", "department", "company", "task_template", "email_template"];
      if (kind === "number" || (byId.includes(kind) && /^\d+$/.test(value))) value = Number(value);
      if (kind === "json") { try { value = JSON.parse(value); } catch (error) { /* the server names the mistake */ } }
      if (kind === "bool" && value === false) continue;
      settings[input.dataset.setting] = value;
    }
    return settings;
  }

  // --- the trigger --------------------------------------------------------------------------
  const kindSelect = document.getElementById("trigger-kind");
  const triggerFields = document.getElementById("trigger-fields");
  const help = document.getElementById("trigger-help");
  const triggers = Object.fromEntries(data.triggers.map((t) => [t.kind, t]));
  for (const t of data.triggers) kindSelect.append(option(t.kind, t.label, t.kind === data.trigger_kind));
  function showTrigger(config = {}) {
    const trigger = triggers[kindSelect.value];
    triggerFields.replaceChildren(...trigger.fields.map((f) => settingInput(f, config[f.name])));
    help.textContent = trigger.description || "";
  }
  kindSelect.addEventListener("change", () => showTrigger());
  showTrigger(data.trigger_config || {});

  // --- conditions on the change -------------------------------------------------------------
  const changeRows = document.getElementById("change-rows");
  function addChange(check = {}) {
    const row = el("div", { className: "d-flex flex-wrap gap-2 change-row" });
    const field = el("select", { className: "form-select form-select-sm w-auto", "aria-label": labels.field });
    for (const [key, label] of data.options.field) field.append(option(key, label, key === check.field));
    const from = el("input", { className: "form-control form-control-sm w-auto", placeholder: labels.from, "aria-label": labels.from });
    from.value = check.from ?? "";
    const to = el("input", { className: "form-control form-control-sm w-auto", placeholder: labels.to, "aria-label": labels.to });
    to.value = check.to ?? "";
    const remove = el("button", { type: "button", className: "btn btn-sm btn-outline-danger", "aria-label": labels.remove, text: "✕" });
    remove.addEventListener("click", () => row.remove());
    field.dataset.role = "field"; from.dataset.role = "from"; to.dataset.role = "to";
    row.append(field, from, to, remove);
    changeRows.append(row);
  }
  document.getElementById("change-add").addEventListener("click", () => addChange());
  (data.change_conditions || []).forEach(addChange);

  // --- actions ------------------------------------------------------------------------------
  const actionRows = document.getElementById("action-rows");
  const typeSelect = document.getElementById("action-type");
  const actionTypes = Object.fromEntries(data.actions.map((a) => [a.type, a]));
  for (const a of data.actions) typeSelect.append(option(a.type, a.label, false));
  function addAction(config) {
    const type = actionTypes[config.type];
    if (!type) return;
    const item = el("li", { className: "card card-body action-row" });
    item.dataset.type = type.type;
    const move = (delta) => {
      const sibling = delta < 0 ? item.previousElementSibling : item.nextElementSibling;
      if (sibling) delta < 0 ? sibling.before(item) : sibling.after(item);
    };
    const buttons = el("div", { className: "btn-group btn-group-sm ms-auto" });
    for (const [text, label, handler] of [["↑", labels.up, () => move(-1)], ["↓", labels.down, () => move(1)], ["✕", labels.remove, () => item.remove()]]) {
      const button = el("button", { type: "button", className: "btn btn-outline-secondary", "aria-label": label, text });
      button.addEventListener("click", handler);
      buttons.append(button);
    }
    const header = el("div", { className: "d-flex align-items-center mb-2" }, [el("strong", { text: type.label }), buttons]);
    const settings = el("div", { className: "row g-2" });
    // One by one: "Fields and values" reads the "entity" setting placed before it.
    for (const f of type.fields) settings.append(settingInput(f, config[f.name], settings));
    item.append(header, settings);
    actionRows.append(item);
  }
  document.getElementById("action-add").addEventListener("click", () => addAction({ type: typeSelect.value }));
  (data.actions_value || []).forEach(addAction);

  // --- sending ------------------------------------------------------------------------------
  form.addEventListener("submit", (event) => {
    if (!form.dataset.synced) {
      // Let the filter builder write the condition first: its "apply" sends the form again,
      // after this submission (a form cannot be sent while its submit event runs).
      event.preventDefault();
      form.dataset.synced = "1";
      setTimeout(() => document.getElementById("builder-apply").click(), 0);
      return;
    }
    document.getElementById("trigger-config").value = JSON.stringify(readSettings(triggerFields));
    document.getElementById("change-conditions").value = JSON.stringify(
      [...changeRows.querySelectorAll(".change-row")].map((row) => {
        const check = { field: row.querySelector("[data-role=field]").value };
        for (const name of ["from", "to"]) {
          const value = row.querySelector(`[data-role=${name}]`).value.trim();
          if (value) check[name] = value;
        }
        return check;
      }),
    );
    document.getElementById("actions-json").value = JSON.stringify(
      [...actionRows.querySelectorAll(".action-row")].map((row) => ({ type: row.dataset.type, ...readSettings(row) })),
    );
  });
})();

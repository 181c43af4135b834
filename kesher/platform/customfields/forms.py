"""Custom fields on the generic screens: form fields, detail rows, and the live narrowing of
dependent pick-lists (REQ CX-1, CX-6). One definition, every surface (STYLE.md, NetBox)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from kesher.platform.customfields.types import DisplayContext, options_of, type_of
from kesher.platform.customfields.values import definitions_for
from kesher.platform.models import CustomField, localized
from kesher.platform.registry import Entity
from kesher.platform.visibility import MORE_DETAILS, hidden_fields

__all__ = [
    "add_custom_fields",
    "custom_data",
    "custom_sections",
    "display_value",
    "form_name",
]

PREFIX = "cf_"
T = CustomField.Type


def form_name(key: str) -> str:
    return f"{PREFIX}{key}"


def error_target(error_key: str) -> str | None:
    """The form field that shows a service error keyed ``custom_fields.<key>``."""
    if error_key.startswith("custom_fields."):
        return form_name(error_key.removeprefix("custom_fields."))
    return None


def _field(definition: CustomField, user, values: dict) -> forms.Field:
    common = {
        "label": definition.label,
        "required": False,  # "required" is a rule the service enforces, with the same message
        "help_text": localized(definition, "help"),
    }
    return type_of(definition).form_field(definition, user, values, common)


def _initial(definition: CustomField, value):
    return None if value is None else type_of(definition).initial(value)


def add_custom_fields(form, entity: Entity, instance, user) -> None:
    """Append the entity's active custom fields that ``user`` sees to a generic form, with the
    stored values. A field he does not see is not on the form, so saving it keeps its value.

    A dependent pick-list offers only the values of its parent's current value; the parent's
    widget reloads them with htmx when it changes.
    """
    hidden = hidden_fields(entity, user)
    definitions = [d for d in definitions_for(entity) if f"custom.{d.key}" not in hidden]
    stored = dict(getattr(instance, "custom", None) or {})
    submitted = {}
    if form.is_bound:
        for definition in definitions:
            raw = form.data.get(form.add_prefix(form_name(definition.key)))
            if raw is not None:
                submitted[definition.key] = raw
    values = {**stored, **submitted}
    for definition in definitions:
        field = _field(definition, user, values)
        field.initial = _initial(definition, stored.get(definition.key))
        if instance is None or instance.pk is None:
            field.initial = definition.default
        field.custom_definition = definition  # type: ignore[attr-defined]  # read by bulk edits
        form.fields[form_name(definition.key)] = field
    for definition in definitions:
        parent_field = (
            form.fields.get(form_name(definition.parent.key)) if definition.parent else None
        )
        if parent_field is not None:
            parent_widget = parent_field.widget
            parent_widget.attrs.update(
                {
                    "hx-get": reverse("custom_field_options", args=[definition.pk]),
                    "hx-target": f"#id_{form.add_prefix(form_name(definition.key))}",
                    "hx-trigger": "change",
                    "hx-include": "this",
                    "hx-swap": "innerHTML",
                }
            )
            form.fields[form_name(definition.key)].widget.attrs["data-dependent"] = "1"


def _json_value(value):
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "pk"):
        return value.pk
    return value


def custom_data(form) -> dict | None:
    """The custom values a submitted generic form carries, keyed by field key."""
    result = {}
    for name, field in form.fields.items():
        definition = getattr(field, "custom_definition", None)
        if definition is not None and name in form.cleaned_data:
            value = form.cleaned_data[name]
            result[definition.key] = _json_value(value)
    return result or None


@dataclass
class _Row:
    """What the detail template reads of a field: its label and name."""

    verbose_name: str
    name: str


def display_value(definition: CustomField, value, context: DisplayContext | None = None) -> str:
    """A stored value as people read it: labels, names, ₪, local dates (one type table)."""
    if value in (None, "", []):
        return ""
    if context is None:
        context = DisplayContext.for_values([(definition, value)])
    return type_of(definition).display(definition, value, context)


def custom_sections(entity: Entity, obj, hidden=frozenset()) -> list[tuple[str, list]]:
    """Detail-page sections of the custom values, grouped by each definition's section;
    without the fields in ``hidden`` (``custom.<key>``, those the reader does not see)."""
    definitions = [d for d in definitions_for(entity) if f"custom.{d.key}" not in hidden]
    if not definitions:
        return []
    stored = getattr(obj, "custom", None) or {}
    context = DisplayContext.for_values((d, stored.get(d.key)) for d in definitions)
    sections: dict[str, list] = {}
    for definition in definitions:
        title = definition.section or str(MORE_DETAILS)
        row = (
            _Row(definition.label, f"custom.{definition.key}"),
            display_value(definition, stored.get(definition.key), context),
        )
        sections.setdefault(title, []).append(row)
    return list(sections.items())


@login_required
def options(request, pk):
    """The options of a dependent pick-list for its parent's value (htmx, REQ CX-6)."""
    definition = get_object_or_404(CustomField.objects.select_related("parent"), pk=pk)
    if definition.parent is None:
        raise Http404
    from kesher.platform.access import can

    if not can(request.user, definition.entity, "view"):
        raise Http404
    parent_value = request.GET.get(form_name(definition.parent.key), "")
    choices = options_of(definition, parent_value, None)
    return render(
        request,
        "platform/widgets/options.html",
        {"choices": choices, "placeholder": definition.type == CustomField.Type.CHOICE},
    )

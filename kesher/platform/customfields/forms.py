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
from django.utils.translation import gettext_lazy as _

from kesher.platform.customfields.values import definitions_for
from kesher.platform.models import Choice, CustomField, localized
from kesher.platform.registry import Entity, registry

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


def _options(definition: CustomField, parent_value, current) -> list[tuple[str, str]]:
    qs = Choice.objects.filter(list_key=definition.choice_list)
    if definition.parent_id:
        qs = qs.filter(parent__value=parent_value) if parent_value else qs.none()
    keep = current if isinstance(current, list) else [current]
    options = [
        (c.value, c.label) for c in qs.order_by("order", "pk") if c.active or c.value in keep
    ]
    known = {value for value, _label in options}
    # A free-text value, or one of a list that changed, still shows as it is stored.
    options += [(v, v) for v in keep if v and v not in known]
    return options


def _field(definition: CustomField, user, values: dict) -> forms.Field:
    common = {
        "label": definition.label,
        "required": False,  # "required" is a rule the service enforces, with the same message
        "help_text": localized(definition, "help"),
    }
    t = definition.type
    if t == T.LONG_TEXT:
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), **common)
    if t == T.INTEGER:
        return forms.IntegerField(**common)
    if t in (T.DECIMAL, T.MONEY):
        return forms.DecimalField(**common)
    if t == T.DATE:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if t == T.DATETIME:
        widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
        return forms.DateTimeField(widget=widget, **common)
    if t == T.BOOLEAN:
        return forms.BooleanField(**common)
    if t in (T.CHOICE, T.MULTI_CHOICE):
        parent_value = values.get(definition.parent.key) if definition.parent_id else None
        choices = _options(definition, parent_value, values.get(definition.key))
        if t == T.MULTI_CHOICE:
            return forms.MultipleChoiceField(choices=choices, **common)
        return forms.ChoiceField(choices=[("", "—"), *choices], **common)
    if t == T.USER:
        from kesher.org.models import User

        return forms.ModelChoiceField(queryset=User.objects.filter(is_active=True), **common)
    if t == T.LINK:
        target = registry.get(definition.link_entity)
        from kesher.platform.ui.forms import RecordPicker

        if target.large:
            return forms.IntegerField(widget=RecordPicker(target.key), **common)
        return forms.ModelChoiceField(queryset=target.model.objects.visible_to(user), **common)
    if t == T.EMAIL:
        return forms.CharField(widget=forms.EmailInput, **common)
    if t == T.URL:
        return forms.CharField(widget=forms.URLInput, **common)
    return forms.CharField(**common)


def _initial(definition: CustomField, value):
    if value is None:
        return None
    if definition.type == T.DATETIME:
        try:
            return datetime.datetime.fromisoformat(value)
        except ValueError:
            return value
    return value


def add_custom_fields(form, entity: Entity, instance, user) -> None:
    """Append the entity's active custom fields to a generic form, with the stored values.

    A dependent pick-list offers only the values of its parent's current value; the parent's
    widget reloads them with htmx when it changes.
    """
    stored = dict(getattr(instance, "custom", None) or {})
    submitted = {}
    if form.is_bound:
        for definition in definitions_for(entity):
            raw = form.data.get(form.add_prefix(form_name(definition.key)))
            if raw is not None:
                submitted[definition.key] = raw
    values = {**stored, **submitted}
    definitions = definitions_for(entity)
    for definition in definitions:
        field = _field(definition, user, values)
        field.initial = _initial(definition, stored.get(definition.key))
        if instance is None or instance.pk is None:
            field.initial = definition.default
        field.custom_definition = definition
        form.fields[form_name(definition.key)] = field
    for definition in definitions:
        if definition.parent_id:
            parent_widget = form.fields[form_name(definition.parent.key)].widget
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


def display_value(definition: CustomField, value, labels: dict):
    if value in (None, "", []):
        return ""
    t = definition.type
    if t == T.CHOICE:
        return labels.get((definition.choice_list, value), value)
    if t == T.MULTI_CHOICE:
        return ", ".join(labels.get((definition.choice_list, v), v) for v in value)
    if t in (T.DATE, T.DATETIME):
        from kesher.platform.ui.display import format_when

        parse = datetime.date.fromisoformat if t == T.DATE else datetime.datetime.fromisoformat
        return format_when(parse(value))
    if t in (T.USER, T.LINK):
        model = (
            registry.get("users").model
            if t == T.USER
            else registry.get(definition.link_entity).model
        )
        obj = model._base_manager.filter(pk=value).first()
        return str(obj) if obj else f"#{value}"
    return value


def custom_sections(entity: Entity, obj) -> list[tuple[str, list]]:
    """Detail-page sections of the custom values, grouped by each definition's section."""
    definitions = definitions_for(entity)
    if not definitions:
        return []
    stored = getattr(obj, "custom", None) or {}
    lists = {d.choice_list for d in definitions if d.choice_list}
    labels = {(c.list_key, c.value): c.label for c in Choice.objects.filter(list_key__in=lists)}
    sections: dict[str, list] = {}
    for definition in definitions:
        title = definition.section or str(_("More details"))
        row = (
            _Row(definition.label, f"custom.{definition.key}"),
            display_value(definition, stored.get(definition.key), labels),
        )
        sections.setdefault(title, []).append(row)
    return list(sections.items())


@login_required
def options(request, pk):
    """The options of a dependent pick-list for its parent's value (htmx, REQ CX-6)."""
    definition = get_object_or_404(CustomField.objects.select_related("parent"), pk=pk)
    if not definition.parent_id:
        raise Http404
    from kesher.platform.access import can

    if not can(request.user, definition.entity, "view"):
        raise Http404
    parent_value = request.GET.get(form_name(definition.parent.key), "")
    choices = _options(definition, parent_value, None)
    return render(
        request,
        "platform/widgets/options.html",
        {"choices": choices, "placeholder": definition.type == T.CHOICE},
    )

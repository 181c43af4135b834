"""The form of a custom-field definition (the generic create page of "custom-fields"): a new
pick-list field's values are typed right in it, a row each, and written with the field in one
transaction (``custom_field_create(values=...)``, REQ CX-1, CX-4), instead of a trip to the
pick-lists page first."""

from __future__ import annotations

from itertools import zip_longest

from django import forms
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from kesher.platform.customfields.types import TYPES
from kesher.platform.ui.forms import EntityForm

__all__ = ["CustomFieldForm", "ValueRows", "ValueRowsField"]

# What one row of the editor holds: a value of the new field's pick-list.
COLUMNS = ("value", "label_he", "label_en")


class ValueRows(forms.Widget):
    """Rows of pick-list values (key, Hebrew label, English label); "Add a value" appends one
    (kesher.js). The form reads them as a list of dicts, rows left empty left out."""

    template_name = "platform/widgets/value_rows.html"

    def value_from_datadict(self, data, files, name):
        getlist = getattr(data, "getlist", None)
        if getlist is None:
            return []
        cells = [getlist(f"{name}-{column}") for column in COLUMNS]
        rows = []
        for row in zip_longest(*cells, fillvalue=""):
            values = dict(zip(COLUMNS, (cell.strip() for cell in row), strict=True))
            if any(values.values()):
                rows.append(values)
        return rows

    def value_omitted_from_data(self, data, files, name):
        return False

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        # One empty row to start typing in.
        context["widget"]["rows"] = list(value or []) or [dict.fromkeys(COLUMNS, "")]
        return context

    def _render(self, template_name, context, renderer=None):
        # A template of the project's (kesher/templates), as RecordPicker's.
        return mark_safe(render_to_string(template_name, context))


class ValueRowsField(forms.Field):
    widget = ValueRows

    def __init__(self, **kwargs):
        super().__init__(required=False, **kwargs)

    def to_python(self, value):
        return list(value or [])


class CustomFieldForm(EntityForm):
    """The definition's fields, and for a new one the values of its pick-list."""

    values = ValueRowsField(
        label=_("Values of the pick-list"),
        help_text=_(
            "A row for each value: its key (used by the API and imports), its Hebrew label and "
            "its English label. More values can be added later on the pick-lists page."
        ),
    )
    service_options = ("values",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            # An existing field's values are edited with the other pick-list values.
            del self.fields["values"]
            return
        pick_list_types = " ".join(key for key, kind in TYPES.items() if kind.choice_list)
        # Shown only while the chosen type takes its values from a pick-list (kesher.js).
        self.fields["values"].widget.attrs.update(
            {"data-shown-with": "type", "data-shown-for": pick_list_types}
        )
        if "choice_list" in self.fields:
            self.fields["choice_list"].help_text = _(
                "Leave it empty to make a new list named after the field's key, or name an "
                "existing list to use its values."
            )
            order = list(self.fields)
            order.remove("values")
            order.insert(order.index("choice_list") + 1, "values")
            self.order_fields(order)

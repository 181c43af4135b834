"""The ticket form's dependent pick-lists: a subtype among its type's, a level-2 subtype among
its subtype's, narrowed live as the parent changes (REQ SV-2, CX-6)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.urls import reverse

if TYPE_CHECKING:
    from django import forms

    _FormBase = forms.ModelForm
else:
    _FormBase = object

__all__ = ["DEPENDENTS", "TicketForm"]

# A dependent field: its parent field on the ticket.
DEPENDENTS = {"subtype": "ticket_type", "subtype2": "subtype"}


class TicketForm(_FormBase):
    """Mixed into the ticket's generic form (``Entity.form_mixin``)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for child, parent in DEPENDENTS.items():
            if child not in self.fields or parent not in self.fields:
                continue
            field = self.fields[child]
            field.queryset = field.queryset.filter(parent_id=self._parent_value(parent) or None)
            self.fields[parent].widget.attrs.update(
                {
                    "hx-get": reverse("service_ticket_options", args=[child]),
                    "hx-target": f"#id_{self.add_prefix(child)}",
                    "hx-trigger": "change",
                    "hx-include": "this",
                    "hx-swap": "innerHTML",
                }
            )
            field.widget.attrs["data-dependent"] = "1"

    def _parent_value(self, parent: str):
        if self.is_bound:
            raw = self.data.get(self.add_prefix(parent))
            return int(raw) if raw and str(raw).isdigit() else None
        initial = self.initial.get(parent)
        if initial is not None:
            return getattr(initial, "pk", initial)
        return getattr(self.instance, f"{parent}_id", None)

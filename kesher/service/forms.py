"""The ticket form's dependent pick-lists: a subtype among its type's, a level-2 subtype among
its subtype's, narrowed live as the parent changes (REQ SV-2, CX-6)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms as django_forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kesher.platform.ui.forms import RecordPicker

if TYPE_CHECKING:
    from django import forms

    _FormBase = forms.ModelForm
else:
    _FormBase = object

__all__ = ["DEPENDENTS", "MergeForm", "ReplyForm", "SplitForm", "TextReplyForm", "TicketForm"]

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


class ReplyForm(django_forms.Form):
    """A reply to the customer by e-mail; ``key`` makes a form sent twice send once."""

    body = django_forms.CharField(
        label=_("Reply"),
        max_length=20_000,
        widget=django_forms.Textarea(attrs={"rows": 7, "class": "form-control", "dir": "auto"}),
    )
    key = django_forms.CharField(max_length=100, widget=django_forms.HiddenInput)


class TextReplyForm(django_forms.Form):
    """A reply to the customer by SMS or WhatsApp, on a channel he wrote to the ticket on;
    outside WhatsApp's 24-hour window a template canned reply instead of a text."""

    channel = django_forms.ChoiceField(label=_("Channel"), widget=django_forms.HiddenInput)
    body = django_forms.CharField(
        label=_("Reply"),
        required=False,
        max_length=20_000,
        strip=False,
        widget=django_forms.Textarea(attrs={"rows": 4, "class": "form-control", "dir": "auto"}),
    )
    canned_reply = django_forms.IntegerField(required=False, widget=django_forms.HiddenInput)
    key = django_forms.CharField(max_length=100, widget=django_forms.HiddenInput)

    def __init__(self, *args, channels, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = [(c.channel, c.label) for c in channels]


class MergeForm(django_forms.Form):
    """The ticket a duplicate is merged into (a search-as-you-type picker)."""

    into = django_forms.ModelChoiceField(
        label=_("Merge into ticket"), queryset=None, widget=RecordPicker("tickets")
    )

    def __init__(self, *args, tickets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["into"].queryset = tickets
        self.fields["into"].widget.queryset = tickets


class SplitForm(django_forms.Form):
    """A new ticket for some of a ticket's interactions."""

    subject = django_forms.CharField(
        label=_("Subject of the new ticket"),
        max_length=200,
        widget=django_forms.TextInput(attrs={"class": "form-control"}),
    )
    interactions = django_forms.ModelMultipleChoiceField(
        label=_("Interactions that move to it"),
        queryset=None,
        widget=django_forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, interactions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["interactions"].queryset = interactions

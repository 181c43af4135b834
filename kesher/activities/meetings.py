"""The calendar's "new meeting" form (issue 14 item 7; REQ SA-13, TK-1, OR-7).

A meeting is an interaction whose kind is the ``interaction_kind`` value keyed ``meeting`` (an
administrator may rename its label, not its key). The form starts at the slot or day clicked,
for the person whose calendar it was; the record it is about is found by typing its name, and
its participants (colleagues, and the record's contacts offered in one click) are chosen with
pickers, never from a ``<select multiple>`` of every record. It is the generic interaction form
(custom fields included) with those widgets: the service, the audit and the invitations are the
same as everywhere.
"""

from __future__ import annotations

import datetime

from django import forms
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from kesher.activities.services import calendar_for
from kesher.platform.access import can, linkable
from kesher.platform.models import Choice
from kesher.platform.registry import registry
from kesher.platform.ui.forms import RecordPicker, RecordsPicker, form_for

__all__ = [
    "DEFAULT_MINUTES",
    "LAYOUT",
    "MEETING",
    "meeting_form",
    "meeting_kind",
    "meeting_start",
]

MEETING = "meeting"  # the key of the interaction kind
DEFAULT_MINUTES = 60
# What a meeting booked ahead does not have yet.
LEFT_OUT = ("direction", "outcome")
PARTICIPANTS = {
    "participant_users": _("Colleagues"),
    "participant_contacts": _("Customer contacts"),
}
# The form's groups on the page; any other field (an administrator's custom fields) follows.
LAYOUT = (
    ("what", ("subject", "occurred_at", "duration_minutes", "body")),
    ("about", ("link_type", "link_id")),
    ("who", ("owner", "participant_users", "participant_contacts")),
)


def meeting_kind() -> Choice | None:
    """The interaction kind a meeting is, if the list still offers it."""
    return Choice.objects.filter(list_key="interaction_kind", value=MEETING, active=True).first()


def meeting_start(value: str | None, user) -> datetime.datetime:
    """When a meeting booked from the calendar starts: the slot clicked ("2026-12-07T10:00");
    on a day clicked ("2026-12-07") the start of the working day, or the next whole hour when
    that day has begun; else the next whole hour. In the user's time zone."""
    now = timezone.localtime()
    next_hour = now.replace(minute=0, second=0, microsecond=0) + datetime.timedelta(hours=1)
    try:
        if value and "T" in value:
            return timezone.make_aware(datetime.datetime.fromisoformat(value).replace(tzinfo=None))
        day = datetime.date.fromisoformat(value) if value else None
    except ValueError:
        day = None
    if day is None:
        return next_hour
    start = timezone.make_aware(datetime.datetime.combine(day, calendar_for(user).day_start))
    return next_hour if start <= now and day == now.date() else start


class RecordKindSelect(forms.Select):
    """The kinds of record a meeting may be about. Each option carries its picker's address, so
    choosing one points the search box at that kind (kesher.js, ``data-picker-kind``)."""

    def __init__(self, target_id: str, attrs=None, choices=()):
        super().__init__({**(attrs or {}), "data-picker-kind": f"{target_id}-search"}, choices)
        self.target_id = target_id

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        option["attrs"].update(
            {"data-url": reverse("record_picker", args=[value]), "data-target": self.target_id}
        )
        return option


def pick_the_record(form, user) -> None:
    """The record the meeting is about: its kind, then that kind's search-as-you-type
    ``RecordPicker`` (``/pick/<key>/``). The one place a cross-entity link picker takes over:
    give ``link_id`` its widget here (``link_type`` hidden); the template shows whatever
    widgets these two fields have."""
    kind_field = form.fields["link_type"]
    kinds = [(k, capfirst(label)) for k, label in kind_field.choices if k and can(user, k, "view")]
    if not kinds:
        del form.fields["link_type"], form.fields["link_id"]
        return
    kind_field.choices = kinds
    chosen = form.data.get(form.add_prefix("link_type")) or form.initial.get("link_type")
    key = chosen if chosen in dict(kinds) else kinds[0][0]
    form.initial.setdefault("link_type", key)
    kind_field.label = _("Kind of record")
    record_field = form.fields["link_id"]
    record_field.label = _("Record")
    target_id = form["link_id"].auto_id  # (a bound field reads its label once, when made)
    kind_field.widget = RecordKindSelect(target_id, {"class": "form-select"}, kinds)
    visible = linkable(registry.get(key).model.objects.all(), user)
    record_field.widget = RecordPicker(key, queryset=visible)


def meeting_form(user):
    """The meeting form's class for ``user``: the interaction form, meeting-shaped."""
    base = form_for(registry.get("interactions"), user)

    class MeetingForm(base):
        def __init__(self, *args, kind: Choice, **kwargs):
            super().__init__(*args, **kwargs)
            for name in LEFT_OUT:
                self.fields.pop(name, None)
            # The kind is the meeting value whatever is sent.
            self.fields["kind"].disabled = True
            self.fields["kind"].widget = forms.HiddenInput()
            self.initial["kind"] = kind.pk
            self.fields["owner"].label = _("Whose meeting")
            pick_the_record(self, user)
            for name, label in PARTICIPANTS.items():
                field = self.fields[name]
                key = registry.for_model(field.queryset.model).key
                if not can(user, key, "view"):
                    del self.fields[name]  # its picker would be refused
                    continue
                field.label = label
                field.widget = RecordsPicker(key)
                field.widget.choices = field.choices

        def clean(self):
            cleaned = super().clean()
            # The kind of record only aims the search: no record chosen, no link.
            if "link_id" in self.fields and cleaned.get("link_id") is None:
                cleaned["link_type"] = ""
            return cleaned

    MeetingForm.__name__ = "MeetingForm"
    return MeetingForm

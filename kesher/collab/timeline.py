"""Notes on a record's timeline, beside its changes, interactions and tasks; the timeline's
filter offers them as a kind of their own."""

from __future__ import annotations

from django.utils.translation import gettext as _

from kesher.collab.models import Note
from kesher.platform.records.timeline import TimelineItem, register_source
from kesher.platform.registry import registry

__all__ = ["NOTES", "notes_on_timeline"]

NOTES = "notes"
LIMIT = 20
KIND_LIMIT = 50


def note_kinds(user, entity) -> list[tuple[str, str]]:
    """The filter's choice of notes alone, on the pages of the records work is about (the
    others' timelines show their notes among their changes)."""
    return [(NOTES, _("Notes"))] if entity.linkable else []


@register_source(kinds=note_kinds)
def notes_on_timeline(record, user, kind: str = "") -> list[TimelineItem]:
    """The record's latest notes (its page checked the reader may see it), each with whom it
    mentions."""
    if kind not in ("", NOTES) or not registry.has_model(record):
        return []
    key = registry.for_model(record).key
    rows = (
        Note.objects.filter(entity=key, record_id=record.pk)
        .select_related("author")
        .prefetch_related("mentions")
        .order_by("-created_at", "-id")[: KIND_LIMIT if kind else LIMIT]
    )
    items = []
    for note in rows:
        details = {_("Note"): [None, note.body]}
        mentioned = [str(user) for user in note.mentions.all()]
        if mentioned:
            details[_("Mentioned")] = [None, mentioned]
        items.append(
            TimelineItem(
                at=note.created_at,
                actor=note.author,
                title=_("Note"),
                action="note",
                changes=details,
            )
        )
    return items

"""Messages about a record on its timeline (DESIGN.md "Audit and timeline": the timeline
merges changes, interactions, tasks, emails and automation runs)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from kesher.integrations.models import OutgoingMessage
from kesher.platform.access import can
from kesher.platform.records.timeline import TimelineItem, register_source
from kesher.platform.registry import registry

LIMIT = 20


@register_source
def messages_of(record, user) -> list[TimelineItem]:
    """The record's latest messages. Whoever sees the record sees that it was written to; the
    link to the message log is for those granted the log."""
    if not registry.has_model(record):
        return []
    key = registry.for_model(record).key
    rows = (
        OutgoingMessage.objects.filter(link_type=key, link_id=record.pk)
        # Not the bodies: a timeline entry shows who, what and how it went.
        .only("channel", "to", "subject", "status", "created_at", "sent_at")
        .order_by("-created_at", "-id")[:LIMIT]
    )
    url = reverse("integrations_messages") if can(user, "messages", "view") else ""
    items = []
    for row in rows:
        details = {_("To"): [None, row.to], _("Status"): [None, row.get_status_display()]}
        if row.subject:
            details[_("Subject")] = [None, row.subject]
        items.append(
            TimelineItem(
                at=row.sent_at or row.created_at,
                actor=None,
                title=_("%(channel)s message") % {"channel": row.get_channel_display()},
                action="message",
                changes=details,
                url=f"{url}?message={row.pk}" if url else "",
            )
        )
    return items

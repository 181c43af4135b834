"""The demo technician's day (issue 18 item 9; REQ SV-12; decision 0088): two visits today —
meetings the service manager books on open tickets he already handles, at customers with an
address and a phone — so "My day" is not empty when the demo opens. Through the services."""

from __future__ import annotations

from django.utils import timezone

from kesher.activities.meetings import MEETING
from kesher.activities.services import interaction_create
from kesher.org.models import User
from kesher.platform.models import Choice
from kesher.service.models import Ticket

__all__ = ["create_field_day"]

# The visits' hours, today, in the company's time zone.
HOURS = ((9, 30), (13, 0))


def create_field_day(users: dict[str, User], *, technician: str, dispatcher: str) -> list:
    tech, actor = users[technician], users[dispatcher]
    kind = Choice.objects.filter(list_key="interaction_kind", value=MEETING, active=True).first()
    if kind is None:
        return []
    tickets = list(
        Ticket.objects.filter(
            handler=tech,
            resolved_at__isnull=True,
            merged_into__isnull=True,
            account__isnull=False,
            account__city__gt="",
        )
        .order_by("pk")
        .select_related("account")[: len(HOURS)]
    )
    today = timezone.localtime().replace(second=0, microsecond=0)
    visits = []
    for ticket, (hour, minute) in zip(tickets, HOURS, strict=False):
        visits.append(
            interaction_create(
                actor=actor,
                data={
                    "kind": kind,
                    "subject": f"ביקור טכנאי — {ticket.number}",
                    "occurred_at": today.replace(hour=hour, minute=minute),
                    "duration_minutes": 60,
                    "link_type": "tickets",
                    "link_id": ticket.pk,
                    "owner": tech,
                },
                m2m={"participant_users": [tech]},
            )
        )
    return visits

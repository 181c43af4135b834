"""Service records made through the services, so they carry audit entries and search tokens."""

from __future__ import annotations

import itertools

from kesher.platform.models import Choice
from kesher.platform.records.services import record_create
from kesher.service.services import ticket_create

_sequence = itertools.count(1)


def choice(list_key: str, value: str) -> Choice:
    """A value of one of service's pick-lists the migration created (seed 001)."""
    return Choice.objects.get(list_key=list_key, value=value)


def require_resolution(admin):
    """The administrator's field rule of seed 001: a resolved or closed ticket says how it was
    resolved (REQ SV-4)."""
    return record_create(
        "field-rules",
        actor=admin,
        data={
            "entity": "tickets",
            "field": "resolution",
            "required_statuses": ["resolved", "closed"],
        },
    )


def make_ticket(actor, **data):
    m2m = data.pop("m2m", None)
    data.setdefault("subject", f"Ticket {next(_sequence)}")
    return ticket_create(actor=actor, data=data, m2m=m2m)

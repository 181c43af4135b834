"""Reads of service: a ticket's SLA clocks as its page shows them (REQ SV-9)."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from kesher.activities.calendar import business_hours_between
from kesher.activities.services import calendar_of
from kesher.service.models import Article, SlaClock, Ticket

__all__ = ["ClockView", "suggested_articles", "ticket_clocks"]


@dataclass(frozen=True)
class ClockView:
    """One clock as people read it: its state, target, due moment and what is left of it in
    business hours (negative: past its target)."""

    clock: SlaClock
    state: str  # "met", "breached", "paused", "warning", "running"
    target_hours: float
    left_hours: float | None

    @property
    def due_at(self) -> datetime.datetime | None:
        return None if self.clock.paused else self.clock.due_at


def _state(clock: SlaClock, now: datetime.datetime) -> str:
    if clock.breached(now):
        return "breached"
    if clock.met_at is not None:
        return "met"
    if clock.paused:
        return "paused"
    return "warning" if clock.warning(now) else "running"


def ticket_clocks(ticket: Ticket, now: datetime.datetime | None = None) -> list[ClockView]:
    """The ticket's clocks, oldest first, each with its state and the business time left."""
    now = now or timezone.now()
    week = calendar_of()
    views = []
    for clock in SlaClock.objects.filter(ticket=ticket).order_by("started_at", "pk"):
        left = None
        if clock.met_at is None:
            if clock.paused:
                left = (clock.target_seconds - clock.spent_seconds) / 3600
            else:
                left = business_hours_between(now, clock.due_at, week)
        views.append(
            ClockView(
                clock=clock,
                state=_state(clock, now),
                target_hours=clock.target_seconds / 3600,
                left_hours=None if left is None else round(left, 2),
            )
        )
    return views


WORD = re.compile(r"\w{3,}")


def suggested_articles(ticket: Ticket, user, limit: int = 5) -> list[Article]:
    """Published articles the user may read that may answer the ticket: those of its type
    and those whose title shares a word of three letters or more with its subject (REQ SV-8)."""
    from kesher.platform.access import can

    if not can(user, "kb-articles", "view"):
        return []
    wanted = Q(ticket_type_id=ticket.ticket_type_id) if ticket.ticket_type_id else Q(pk=None)
    for word in WORD.findall(ticket.subject or "")[:8]:
        wanted |= Q(title_he__icontains=word) | Q(title_en__icontains=word)
    return list(
        Article.objects.visible_to(user)
        .filter(status=Article.Status.PUBLISHED)
        .filter(wanted)
        .order_by("title_he", "pk")[:limit]
    )

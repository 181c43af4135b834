"""Reads of service: a ticket's SLA clocks as its page shows them (REQ SV-9), suggested
articles, the SLA report and the backlog by queue and age."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kesher.activities.calendar import business_hours_between
from kesher.activities.services import calendar_of
from kesher.service.models import Article, SlaClock, Ticket

__all__ = [
    "AGE_BANDS",
    "BacklogRow",
    "ClockView",
    "backlog",
    "sla_report",
    "suggested_articles",
    "ticket_clocks",
]


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


# --- the SLA report (REQ SV-9, RE-4; issue 18 item 8) --------------------------------------------

REPORT_GROUPS = ("team", "type", "month")


@dataclass(frozen=True)
class ReportRow:
    """One group's decided clocks of one kind: met in time, breached, and the share met."""

    key: object
    label: str
    kind: str
    decided: int
    met: int

    @property
    def breached(self) -> int:
        return self.decided - self.met

    @property
    def percent(self) -> float | None:
        return round(100 * self.met / self.decided, 1) if self.decided else None


def sla_report(user, by: str = "team", now: datetime.datetime | None = None) -> list[ReportRow]:
    """First-response and resolution clocks of the tickets ``user`` may see, grouped by team,
    ticket type or the month they started (in the company's time zone), counted in one SQL
    aggregate: a clock is decided once met or past its target; met in time when met by its due
    moment (REQ SV-9)."""
    from django.db.models import Count, F
    from django.db.models.functions import TruncMonth

    from kesher.platform.models import Choice
    from kesher.service.models import Team

    now = now or timezone.now()
    if by not in REPORT_GROUPS:
        by = "team"
    kinds = (SlaClock.Kind.FIRST_RESPONSE, SlaClock.Kind.RESOLUTION)
    late_running = Q(met_at__isnull=True, running_since__isnull=False, due_at__lte=now)
    late_paused = Q(
        met_at__isnull=True, running_since__isnull=True, spent_seconds__gte=F("target_seconds")
    )
    decided = Q(met_at__isnull=False) | late_running | late_paused
    clocks = SlaClock.objects.filter(
        ticket__in=Ticket.objects.visible_to(user).values("pk"), kind__in=kinds
    ).filter(decided)
    if by == "month":
        zone = timezone.get_default_timezone()
        clocks = clocks.annotate(group=TruncMonth("started_at", tzinfo=zone))
    else:
        clocks = clocks.annotate(
            group=F("ticket__team_id" if by == "team" else "ticket__ticket_type_id")
        )
    rows = list(
        clocks.values("group", "kind")
        .annotate(
            decided=Count("pk"),
            met=Count("pk", filter=Q(met_at__isnull=False, met_at__lte=F("due_at"))),
        )
        .order_by("group", "kind")
    )
    keys = {row["group"] for row in rows if row["group"] is not None}
    if by == "team":
        names = {t.pk: str(t) for t in Team.objects.filter(pk__in=keys)}
    elif by == "type":
        names = {c.pk: c.label for c in Choice.objects.filter(pk__in=keys)}
    else:
        names = {key: key.strftime("%Y-%m") for key in keys}
    return [
        ReportRow(
            key=row["group"].strftime("%Y-%m") if by == "month" and row["group"] else row["group"],
            label=names.get(row["group"], "—"),
            kind=row["kind"],
            decided=row["decided"],
            met=row["met"],
        )
        for row in rows
    ]


# --- the backlog by queue and age (issue 18 item 8) ----------------------------------------------

# The age bands of open tickets: (key, the band's lower bound in days).
AGE_BANDS = (("day", 0), ("days_3", 1), ("week", 3), ("month", 7), ("older", 30))


@dataclass(frozen=True)
class BacklogRow:
    """One queue's open tickets: how many in each age band (days since opened, youngest
    first), in all, and when the oldest was opened. ``team`` None is the unassigned queue."""

    team: int | None
    label: str
    bands: dict
    total: int
    oldest: datetime.datetime | None


def backlog(user, now: datetime.datetime | None = None) -> list[BacklogRow]:
    """The open tickets ``user`` may see (not resolved, not merged) by team and age band, in
    one SQL aggregate; the unassigned queue first, then teams by name."""
    from django.db.models import Count, Min

    from kesher.service.models import Team

    now = now or timezone.now()
    bounds = [now - datetime.timedelta(days=days) for _key, days in AGE_BANDS]
    counts = {}
    for index, (key, _days) in enumerate(AGE_BANDS):
        band = Q(created_at__lte=bounds[index])
        if index + 1 < len(AGE_BANDS):
            band &= Q(created_at__gt=bounds[index + 1])
        counts[key] = Count("pk", filter=band)
    rows = list(
        Ticket.objects.visible_to(user)
        .filter(resolved_at__isnull=True, merged_into__isnull=True)
        .values("team")
        .annotate(total=Count("pk"), oldest=Min("created_at"), **counts)
        .order_by()
    )
    names = {t.pk: str(t) for t in Team.objects.filter(pk__in=[r["team"] for r in rows])}
    result = [
        BacklogRow(
            team=row["team"],
            label=names.get(row["team"], "—") if row["team"] else _("No team"),
            bands={key: row[key] for key, _days in AGE_BANDS},
            total=row["total"],
            oldest=row["oldest"],
        )
        for row in rows
    ]
    result.sort(key=lambda row: (row.team is not None, row.label, row.team or 0))
    return result

"""SLA clocks in business time, and the automation triggers their warnings and breaches fire
(REQ SV-9; decision 0061).

A clock's arithmetic is here and nowhere else: started, paused ("waiting for the customer"),
resumed, met or given another target, it keeps ``due_at`` and ``warn_at`` on the business
calendar of ``kesher.activities.calendar`` (Sunday–Thursday, Israeli holidays closed and their
eves short). The worker's tick finds the clocks whose warning or due moment passed in its
window by the partial indexes over running clocks (``kesher.automation.schedule``), and the
run's dedupe key (rule, ticket, clock and moment) makes each fire once, however many workers
tick at once.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kesher.activities.calendar import WorkWeek, add_business_time, business_hours_between
from kesher.automation.triggers import Trigger, register_trigger
from kesher.service.models import SlaClock, Ticket

__all__ = [
    "clock_meet",
    "clock_pause",
    "clock_reopen",
    "clock_resume",
    "clock_retarget",
    "clock_start",
    "due_clocks",
]


def _spent(since: datetime.datetime, now: datetime.datetime, week: WorkWeek) -> int:
    return max(0, round(business_hours_between(since, now, week) * 3600))


def _later(start: datetime.datetime, seconds: int, week: WorkWeek) -> datetime.datetime:
    return add_business_time(start, datetime.timedelta(seconds=seconds), week)


def _schedule(clock: SlaClock, week: WorkWeek) -> None:
    """A running clock's due and warning moments from its current stretch. A moment already
    passed before the stretch began stays as it was: it fired then, and must not again."""
    assert clock.running_since is not None
    if clock.spent_seconds < clock.target_seconds:
        clock.due_at = _later(clock.running_since, clock.target_seconds - clock.spent_seconds, week)
    warn_seconds = clock.target_seconds * clock.warn_percent // 100
    if clock.spent_seconds < warn_seconds:
        clock.warn_at = _later(clock.running_since, warn_seconds - clock.spent_seconds, week)


def clock_start(
    ticket: Ticket,
    kind: str,
    *,
    hours,
    warn_percent: int,
    now: datetime.datetime,
    week: WorkWeek,
    running: bool = True,
) -> SlaClock:
    """A new clock of ``kind`` with a target of ``hours`` business hours from ``now`` (not
    saved); started paused when the ticket waits for the customer."""
    clock = SlaClock(
        ticket=ticket,
        kind=kind,
        target_seconds=round(float(hours) * 3600),
        warn_percent=warn_percent,
        started_at=now,
        running_since=now,
    )
    _schedule(clock, week)
    if not running:
        clock_pause(clock, now=now, week=week)
    return clock


def clock_pause(clock: SlaClock, *, now: datetime.datetime, week: WorkWeek) -> None:
    """Stop counting: the stretch so far is kept in ``spent_seconds``."""
    if clock.running_since is None or clock.met_at is not None:
        return
    clock.spent_seconds += _spent(clock.running_since, now, week)
    clock.running_since = None


def clock_resume(clock: SlaClock, *, now: datetime.datetime, week: WorkWeek) -> None:
    """Count again from ``now``: the moments move by the time the clock stood still."""
    if clock.running_since is not None or clock.met_at is not None:
        return
    clock.running_since = now
    _schedule(clock, week)


def clock_meet(clock: SlaClock, *, now: datetime.datetime, week: WorkWeek) -> None:
    """The target is met (or missed, when later than ``due_at``): the clock stops for good."""
    if clock.met_at is not None:
        return
    clock_pause(clock, now=now, week=week)
    clock.met_at = now


def clock_reopen(clock: SlaClock, *, now: datetime.datetime, week: WorkWeek) -> None:
    """A resolved ticket reopened: its resolution clock goes on from the time it had spent."""
    if clock.met_at is None:
        return
    clock.met_at = None
    clock_resume(clock, now=now, week=week)


def clock_retarget(clock: SlaClock, *, hours, warn_percent: int, week: WorkWeek) -> None:
    """Another policy applies (the ticket's type, priority or customer changed): the same time
    spent, counted against the new target."""
    if clock.met_at is not None:
        return
    clock.target_seconds = round(float(hours) * 3600)
    clock.warn_percent = warn_percent
    if clock.running_since is not None:
        # Counted from the stretch's start, the moments are those the new target gives.
        clock.due_at = _later(
            clock.running_since, max(clock.target_seconds - clock.spent_seconds, 0), week
        )
        warn_seconds = clock.target_seconds * warn_percent // 100
        clock.warn_at = _later(
            clock.running_since, max(warn_seconds - clock.spent_seconds, 0), week
        )


# --- automation: the warning and the breach ------------------------------------------------------


BATCH = 2000


def due_clocks(moment: str, start, end, tickets=None) -> tuple[list[tuple[int, str]], object]:
    """The (ticket id, occurrence) of the running clocks whose ``moment`` ("due_at" or
    "warn_at") is in (start, end], read by its partial index, at most BATCH of them, and the
    end of the window covered. One per ticket (the earliest); the occurrence names the clock
    and the moment, so each fires once."""
    clocks = SlaClock.objects.filter(
        running_since__isnull=False,
        met_at__isnull=True,
        **{f"{moment}__gt": start, f"{moment}__lte": end},
    )
    if tickets is not None:
        clocks = clocks.filter(ticket__in=tickets)
    columns = ("ticket_id", "pk", moment)
    rows = list(clocks.order_by(moment, "pk").values_list(*columns)[:BATCH])
    covered = end
    if len(rows) == BATCH:
        last = rows[-1][2]
        if rows[0][2] == last:
            # A whole batch at one moment (tickets imported together): that moment whole.
            rows += clocks.filter(**{moment: last}).order_by("pk").values_list(*columns)[BATCH:]
            covered = last
        else:
            # More are due than one batch: the next tick goes on from just before the last
            # moment read (its rows again, which their dedupe keys keep from firing twice).
            covered = last - datetime.timedelta(microseconds=1)
    found: dict[int, str] = {}
    for ticket_id, pk, value in rows:
        found.setdefault(ticket_id, f"{pk}:{value.isoformat()}")
    return list(found.items()), covered


def _validate(entity, config: dict) -> dict:
    if entity.key != "tickets":
        raise ValidationError({"trigger_kind": [_("Only tickets have SLA clocks.")]})
    if config:
        raise ValidationError({"trigger_config": [_("This trigger has no settings.")]})
    return {}


def _scanner(moment: str):
    def scan(compiled, start, end):
        tickets = None
        if compiled.q is not None:
            tickets = Ticket._base_manager.alias(**compiled.aliases).filter(compiled.q).values("pk")
        return due_clocks(moment, start, end, tickets)

    return scan


register_trigger(
    Trigger(
        "sla_warning",
        gettext_lazy("An SLA clock reaches its warning"),
        validate=_validate,
        scan=_scanner("warn_at"),
        description=gettext_lazy(
            "A ticket's clock passed its policy's warning share of the target (escalate, "
            "notify, reassign)."
        ),
    )
)
register_trigger(
    Trigger(
        "sla_breached",
        gettext_lazy("An SLA clock is breached"),
        validate=_validate,
        scan=_scanner("due_at"),
        description=gettext_lazy("A ticket's clock passed its target without being met."),
    )
)

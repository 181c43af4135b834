"""An employee's schedule in his calendar feed (REQ PR-3, OR-6; issue 20 item 3; decision
0122): each week he is planned on a project (the planning board's allocations) as an event over
its working days, and his absences as all-day events. Only his own; two queries."""

from __future__ import annotations

import datetime

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from icalendar import Event

from kesher.activities.ical import feed_host, record_url

__all__ = ["schedule_events"]

# Sunday to Thursday: an all-day event ends the day after its last (RFC 5545's DTEND).
WORK_WEEK = datetime.timedelta(days=5)


def _event(uid: str, first: datetime.date, end: datetime.date, summary: str, url: str) -> Event:
    event = Event()
    event.add("uid", f"{uid}@{feed_host()}")
    event.add("dtstamp", timezone.now())
    event.add("dtstart", first)
    event.add("dtend", end)
    event.add("summary", summary)
    event.add("transp", "TRANSPARENT")  # a plan, not a meeting: it does not book the time
    event.add("url", url)
    return event


def schedule_events(user, start: datetime.datetime, end: datetime.datetime):
    """The user's planned weeks and absences between two datetimes, in his language."""
    from kesher.projects.models import Absence, Allocation

    first = timezone.localtime(start).date()
    last = timezone.localtime(end).date()
    allocations = (
        Allocation.objects.filter(user=user, week__range=(first - datetime.timedelta(days=6), last))
        .select_related("project")
        .order_by("week", "id")
    )
    absences = (
        Absence.objects.filter(user=user, start_date__lte=last, end_date__gte=first)
        .select_related("kind")
        .order_by("start_date", "id")
    )
    events = []
    with translation.override(getattr(user, "language", None) or "he"):
        for plan in allocations:
            hours = f"{plan.hours.normalize():f}"
            events.append(
                _event(
                    f"allocation-{plan.pk}",
                    plan.week,
                    plan.week + WORK_WEEK,
                    _("▤ %(project)s: %(hours)s h planned this week")
                    % {"project": plan.project, "hours": hours},
                    record_url("allocations", plan.pk),
                )
            )
        for away in absences:
            label = str(away.kind)
            if away.half_day:
                label = _("%(kind)s (half days)") % {"kind": label}
            events.append(
                _event(
                    f"absence-{away.pk}",
                    away.start_date,
                    away.end_date + datetime.timedelta(days=1),
                    f"☂ {label}",
                    record_url("absences", away.pk),
                )
            )
    return events

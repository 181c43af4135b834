"""The calendar page's grids: a day, a week (Sunday to Saturday, the Israeli week) or a month
of one person's meetings and tasks (issue 4 item 4), in the viewer's time zone. Plain
server-rendered tables: the page's direction (RTL in Hebrew) lays the days out."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.utils import timezone

from kesher.activities.selectors import user_meetings, user_tasks

__all__ = ["VIEWS", "Agenda", "build_agenda", "parse_day", "start_of_day"]

VIEWS = ("day", "week", "month")


@dataclass
class Entry:
    kind: str  # "meeting" or "task"
    at: datetime.datetime  # local
    title: str
    url_key: str
    pk: int
    done: bool = False
    overdue: bool = False
    minutes: int | None = None


@dataclass
class Day:
    date: datetime.date
    in_range: bool = True
    entries: list[Entry] = field(default_factory=list)


@dataclass
class Agenda:
    view: str
    day: datetime.date  # the day asked for
    start: datetime.date
    end: datetime.date  # exclusive
    weeks: list[list[Day]]
    previous: datetime.date
    following: datetime.date

    @property
    def days(self) -> list[Day]:
        return [day for week in self.weeks for day in week]


def parse_day(value: str | None) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value) if value else timezone.localdate()
    except ValueError:
        return timezone.localdate()


def _sunday(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=(day.weekday() + 1) % 7)


def _bounds(view: str, day: datetime.date):
    """The days shown (start, end exclusive), the days in the period, and the neighbours."""
    if view == "day":
        one = datetime.timedelta(days=1)
        return day, day + one, day, day + one, day - one, day + one
    if view == "week":
        start = _sunday(day)
        end = start + datetime.timedelta(days=7)
        week = datetime.timedelta(days=7)
        return start, end, start, end, day - week, day + week
    first = day.replace(day=1)
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    previous = (first - datetime.timedelta(days=1)).replace(day=1)
    start = _sunday(first)
    end = _sunday(following - datetime.timedelta(days=1)) + datetime.timedelta(days=7)
    return start, end, first, following, previous, following


def start_of_day(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def build_agenda(viewer, person, view: str, day: datetime.date) -> Agenda:
    """The grid of ``person``'s meetings and tasks that ``viewer`` may see (two queries)."""
    view = view if view in VIEWS else "week"
    start, end, period_start, period_end, previous, following = _bounds(view, day)
    now = timezone.now()
    days = {}
    current = start
    while current < end:
        days[current] = Day(current, in_range=period_start <= current < period_end)
        current += datetime.timedelta(days=1)
    begin, finish = start_of_day(start), start_of_day(end)
    for meeting in user_meetings(viewer, person, begin, finish):
        local = timezone.localtime(meeting.occurred_at)
        days[local.date()].entries.append(
            Entry(
                "meeting",
                local,
                meeting.subject,
                "interactions",
                meeting.pk,
                minutes=meeting.duration_minutes,
            )
        )
    for task in user_tasks(viewer, person, begin, finish):
        local = timezone.localtime(task.due_at)
        days[local.date()].entries.append(
            Entry(
                "task",
                local,
                task.title,
                "tasks",
                task.pk,
                done=not task.is_open,
                overdue=task.is_open and task.due_at <= now,
            )
        )
    for entry_day in days.values():
        entry_day.entries.sort(key=lambda e: (e.at, e.kind, e.pk))
    ordered = list(days.values())
    weeks = [ordered[i : i + 7] for i in range(0, len(ordered), 7)]
    return Agenda(view, day, start, end, weeks, previous, following)

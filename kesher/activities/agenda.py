"""The calendar page's grids: a day, a week (Sunday to Saturday, the Israeli week) or a month
of one person's meetings and tasks (issue 4 item 4), in the viewer's time zone. Plain
server-rendered tables: the page's direction (RTL in Hebrew) lays the days out (decision 0025).

Dates read as people write them in the reader's language: "6–12 בדצמבר 2026" or "6–12 December
2026", day before month (REQ OR-7, DESIGN.md "Localization")."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.dates import MONTHS, WEEKDAYS
from django.utils.translation import gettext as _

from kesher.activities.selectors import user_meetings, user_tasks

__all__ = [
    "VIEWS",
    "Agenda",
    "build_agenda",
    "day_label",
    "parse_day",
    "period_label",
    "start_of_day",
]

VIEWS = ("day", "week", "month")
# A month cell shows this many entries and "+N more" (a link to the day): rows keep their
# height whatever one busy day holds.
MONTH_CELL_ENTRIES = 3
# The day view's hours when the business calendar is not asked (its working day widens them).
DAY_HOURS = (8, 18)


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

    @property
    def ends(self) -> datetime.datetime | None:
        return self.at + datetime.timedelta(minutes=self.minutes) if self.minutes else None


@dataclass
class Day:
    date: datetime.date
    in_range: bool = True
    entries: list[Entry] = field(default_factory=list)
    limit: int | None = None

    @property
    def label(self) -> str:
        return day_label(self.date)

    @property
    def shown(self) -> list[Entry]:
        return self.entries if self.limit is None else self.entries[: self.limit]

    @property
    def more(self) -> int:
        return len(self.entries) - len(self.shown)


@dataclass
class Hour:
    """One hour of the day view: its entries, and the moment a meeting booked there starts."""

    at: datetime.datetime
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
    period_start: datetime.date
    period_end: datetime.date  # exclusive

    @property
    def days(self) -> list[Day]:
        return [day for week in self.weeks for day in week]

    @property
    def busy_days(self) -> list[Day]:
        """The period's days that hold something: the list a phone shows instead of a grid."""
        return [day for day in self.days if day.in_range and day.entries]

    @property
    def label(self) -> str:
        return period_label(self.view, self.period_start, self.period_end)

    def hours(self, first: int = DAY_HOURS[0], last: int = DAY_HOURS[1]) -> list[Hour]:
        """The day view by the hour, ``first`` to ``last`` o'clock, widened to any entry."""
        entries = self.days[0].entries if self.days else []
        first = min([first, *(e.at.hour for e in entries)])
        last = max([last, *(e.at.hour + 1 for e in entries)])
        slots = {
            hour: Hour(
                timezone.make_aware(datetime.datetime.combine(self.start, datetime.time(hour)))
            )
            for hour in range(first, min(last, 24))
        }
        for entry in entries:
            slots[entry.at.hour].entries.append(entry)
        return list(slots.values())


def _month(day: datetime.date) -> str:
    return str(MONTHS[day.month])


def day_label(day: datetime.date) -> str:
    """A date in full: "יום ראשון, 6 בדצמבר 2026", "Sunday, 6 December 2026"."""
    # Translators: a full date; Hebrew writes "יום %(weekday)s, %(day)s ב%(month)s %(year)s".
    return _("%(weekday)s, %(day)s %(month)s %(year)s") % {
        "weekday": WEEKDAYS[day.weekday()],
        "day": day.day,
        "month": _month(day),
        "year": day.year,
    }


def period_label(view: str, start: datetime.date, end: datetime.date) -> str:
    """The heading of a period (``end`` exclusive): a day, "6–12 בדצמבר 2026" for a week
    (both months, or both years, when it spans them), "דצמבר 2026" for a month."""
    if view == "day":
        return day_label(start)
    if view == "month":
        # Translators: a month of the calendar, e.g. "December 2026".
        return _("%(month)s %(year)s") % {"month": _month(start), "year": start.year}
    last = end - datetime.timedelta(days=1)
    values = {
        "first": start.day,
        "last": last.day,
        "first_month": _month(start),
        "last_month": _month(last),
        "month": _month(last),
        "first_year": start.year,
        "last_year": last.year,
        "year": last.year,
    }
    if start.year != last.year:
        # Translators: a week across two years; Hebrew puts ב before each month.
        text = _("%(first)s %(first_month)s %(first_year)s – %(last)s %(last_month)s %(last_year)s")
    elif start.month != last.month:
        # Translators: a week across two months, e.g. "29 November – 5 December 2026".
        text = _("%(first)s %(first_month)s – %(last)s %(last_month)s %(year)s")
    else:
        # Translators: a week within one month, e.g. "6–12 December 2026".
        text = _("%(first)s–%(last)s %(month)s %(year)s")
    return text % values


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
    limit = MONTH_CELL_ENTRIES if view == "month" else None
    days = {}
    current = start
    while current < end:
        days[current] = Day(current, in_range=period_start <= current < period_end, limit=limit)
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
    return Agenda(view, day, start, end, weeks, previous, following, period_start, period_end)

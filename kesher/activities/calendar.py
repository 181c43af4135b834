"""Business time on an Israeli business calendar: working hours Sunday–Thursday, an optional
Friday morning, Israeli holidays closed and their eves (erev chag) shortened (REQ TK-4, DESIGN.md
"Localization").

Everything here is pure: a ``WorkWeek`` says when the business works, and the two functions
answer from it alone, so SLA clocks of tasks (and of tickets later) are computed the same way
everywhere and tested without a database.
"""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import holidays

__all__ = ["WorkWeek", "add_business_time", "business_hours_between", "working_windows"]

# Python's weekday(): Monday is 0 ... Sunday is 6.
FRIDAY, SATURDAY = 4, 5
# Far enough for any SLA; a calendar that never works would otherwise loop for ever.
MAX_DAYS = 3 * 366


@dataclass(frozen=True)
class WorkWeek:
    """When a business works. ``day_start``/``day_end`` apply Sunday to Thursday; Friday works
    ``day_start``–``friday_end`` when ``friday`` is set; a holiday is closed and the working day
    before one ends at ``eve_end`` when ``eve_short`` is set."""

    day_start: datetime.time = datetime.time(8, 30)
    day_end: datetime.time = datetime.time(17, 30)
    friday: bool = False
    friday_end: datetime.time = datetime.time(13, 0)
    holidays: bool = True
    eve_short: bool = True
    eve_end: datetime.time = datetime.time(13, 0)
    time_zone: str = "Asia/Jerusalem"
    closed_dates: tuple[datetime.date, ...] = ()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def is_holiday(self, day: datetime.date) -> bool:
        return (self.holidays and day in _israeli_holidays(day.year)) or day in self.closed_dates

    def window(self, day: datetime.date) -> tuple[datetime.datetime, datetime.datetime] | None:
        """The working hours of one local date as aware datetimes, or None when closed."""
        weekday = day.weekday()
        if weekday == SATURDAY or self.is_holiday(day):
            return None
        if weekday == FRIDAY:
            if not self.friday:
                return None
            end = self.friday_end
        else:
            end = self.day_end
        if (
            self.eve_short
            and self.holidays
            and day + datetime.timedelta(days=1)
            in (_israeli_holidays((day + datetime.timedelta(days=1)).year))
        ):
            end = min(end, self.eve_end)
        if end <= self.day_start:
            return None
        zone = self.zone
        return (
            datetime.datetime.combine(day, self.day_start, tzinfo=zone),
            datetime.datetime.combine(day, end, tzinfo=zone),
        )


@functools.lru_cache(maxsize=64)
def _israeli_holidays(year: int) -> frozenset[datetime.date]:
    """Israel's public holidays (days of rest) of one year, from the ``holidays`` package."""
    return frozenset(holidays.Israel(years=year))


def _aware(value: datetime.datetime, zone: ZoneInfo) -> datetime.datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("business time needs an aware datetime")
    return value.astimezone(zone)


def working_windows(start: datetime.datetime, week: WorkWeek):
    """The working windows from ``start``'s local date on, clipped to begin at ``start``."""
    zone = week.zone
    local = _aware(start, zone)
    day = local.date()
    for _offset in range(MAX_DAYS):
        window = week.window(day)
        if window is not None:
            begin, end = window
            if end > local:
                yield max(begin, local), end
        day += datetime.timedelta(days=1)


def _span(begin: datetime.datetime, end: datetime.datetime) -> datetime.timedelta:
    # Subtract in UTC: Python subtracts two datetimes of the same zone by wall clock, which is
    # an hour off across a daylight-saving change.
    return end.astimezone(datetime.UTC) - begin.astimezone(datetime.UTC)


def add_business_time(
    start: datetime.datetime, hours: float | datetime.timedelta, week: WorkWeek
) -> datetime.datetime:
    """The moment ``hours`` working hours after ``start``, in the calendar's time zone.

    Time outside working hours does not count: 2 hours from Thursday 16:30 is Sunday 09:30.
    Zero hours from a closed moment is the next opening.
    """
    remaining = hours if isinstance(hours, datetime.timedelta) else datetime.timedelta(hours=hours)
    if remaining < datetime.timedelta(0):
        raise ValueError("business time cannot be negative")
    for begin, end in working_windows(start, week):
        available = _span(begin, end)
        if remaining <= available:
            moment = begin.astimezone(datetime.UTC) + remaining
            return moment.astimezone(week.zone)
        remaining -= available
    raise ValueError("the business calendar has no working hours")


def business_hours_between(a: datetime.datetime, b: datetime.datetime, week: WorkWeek) -> float:
    """Working hours from ``a`` to ``b`` (negative when ``b`` is earlier)."""
    if b < a:
        return -business_hours_between(b, a, week)
    total = datetime.timedelta(0)
    for begin, end in working_windows(a, week):
        if begin >= b:
            break
        total += _span(begin, min(end, b))
    return total.total_seconds() / 3600

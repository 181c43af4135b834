"""Hours per employee per month for the payroll system, with overtime by the payroll rule in
force (REQ PR-4; decision 0069). ``split_day`` is the arithmetic, pure; ``payroll_month`` reads
the month's approved hours grouped by employee and day in one query and applies it.

The rest day is Saturday; Israeli holidays count as rest days (``WorkWeek.is_holiday``). Beyond
the rule's weekly hours (42 by the law) a week's hours are overtime too, the week running Sunday
to Saturday: its first days in the month before count towards it (decision 0111).
"""

from __future__ import annotations

import calendar
import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Sum

from kesher.activities.calendar import WorkWeek
from kesher.projects.models import PayrollRule, TimeEntry

SATURDAY = 5  # date.weekday()

__all__ = [
    "DEFAULT_RULE",
    "PayRow",
    "absence_kinds",
    "payroll_month",
    "rule_for",
    "split_day",
    "week_start",
]

DEFAULT_RULE = PayrollRule(
    name="default",
    valid_from=datetime.date(2000, 1, 1),
    daily_hours=Decimal("8.6"),
    first_overtime_hours=Decimal("2"),
    first_overtime_percent=125,
    further_overtime_percent=150,
    rest_day_percent=150,
    weekly_hours=Decimal("42"),
)


@dataclass
class PayRow:
    employee_id: int
    employee: str = ""
    regular: int = 0  # minutes at 100%
    first_overtime: int = 0  # minutes at the first overtime rate
    further_overtime: int = 0  # minutes at the further overtime rate
    rest_day: int = 0  # minutes on the rest day or a holiday
    days: int = 0
    # Working days away in the month by kind of absence (its pick-list value's id): 1 a whole
    # day, 0.5 a half (decision 0122).
    absences: dict[int, Decimal] = field(default_factory=dict)

    @property
    def absent_days(self) -> Decimal:
        return sum(self.absences.values(), Decimal(0))

    @property
    def total(self) -> int:
        return self.regular + self.first_overtime + self.further_overtime + self.rest_day


def split_day(
    minutes: int, rule: PayrollRule, *, rest_day: bool, week_regular: int = 0
) -> tuple[int, int, int, int]:
    """One day's minutes as (regular, first overtime, further overtime, rest day);
    ``week_regular``: the regular minutes of the days before it in its week — beyond the rule's
    weekly hours, the day's minutes are overtime however few."""
    if rest_day:
        return 0, 0, 0, minutes
    left_in_week = max(int(rule.weekly_hours * 60) - week_regular, 0)
    threshold = min(int(rule.daily_hours * 60), left_in_week)
    first = int(rule.first_overtime_hours * 60)
    regular = min(minutes, threshold)
    over = minutes - regular
    return regular, min(over, first), max(over - first, 0), 0


def week_start(day: datetime.date) -> datetime.date:
    """The Sunday of ``day``'s week."""
    return day - datetime.timedelta(days=(day.weekday() + 1) % 7)


def rule_for(day: datetime.date) -> PayrollRule:
    return (
        PayrollRule.objects.filter(valid_from__lte=day).order_by("-valid_from", "-id").first()
        or DEFAULT_RULE
    )


def month_range(month: datetime.date) -> tuple[datetime.date, datetime.date]:
    first = month.replace(day=1)
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def payroll_month(user, month: datetime.date) -> list[PayRow]:
    """The approved hours of the month the user may see, per employee, split by the rule."""
    from kesher.org.models import User

    first, last = month_range(month)
    rule = rule_for(first)
    week = WorkWeek()
    # From the Sunday of the month's first week: those days count towards its weekly hours.
    per_day = (
        TimeEntry.objects.visible_to(user)
        .filter(state__in=TimeEntry.APPROVED_STATES, date__range=(week_start(first), last))
        .values("user_id", "date")
        .annotate(minutes=Sum("minutes"))
        .order_by("user_id", "date")
    )
    rows: dict[int, PayRow] = {}
    week_regular: dict[tuple[int, datetime.date], int] = defaultdict(int)
    for item in per_day:
        day = item["date"]
        in_week = (item["user_id"], week_start(day))
        rest = day.weekday() == SATURDAY or week.is_holiday(day)
        regular, first_ot, further, rest_minutes = split_day(
            item["minutes"], rule, rest_day=rest, week_regular=week_regular[in_week]
        )
        week_regular[in_week] += regular
        if day < first:
            continue
        row = rows.setdefault(item["user_id"], PayRow(employee_id=item["user_id"]))
        row.regular += regular
        row.first_overtime += first_ot
        row.further_overtime += further
        row.rest_day += rest_minutes
        row.days += 1
    _add_absences(user, rows, first, last, week)
    names = {u.pk: str(u) for u in User.objects.filter(pk__in=rows)}
    for row in rows.values():
        row.employee = names.get(row.employee_id, "")
    return sorted(rows.values(), key=lambda r: r.employee)


def _add_absences(user, rows: dict[int, PayRow], first, last, week: WorkWeek) -> None:
    """The month's working days away, by kind, on each employee's row — a row of its own for
    one away with no hours (decision 0122). One query."""
    from kesher.projects.models import Absence

    found = (
        Absence.objects.visible_to(user)
        .filter(start_date__lte=last, end_date__gte=first, user__isnull=False)
        .values_list("user_id", "kind_id", "start_date", "end_date", "half_day")
    )
    taken: dict[tuple[int, datetime.date], Decimal] = defaultdict(Decimal)
    for user_id, kind_id, start, end, half in found:
        share = Decimal("0.5") if half else Decimal(1)
        day = max(start, first)
        while day <= min(end, last):
            if week.window(day) is not None:
                # Two records of one day count at most the whole day.
                part = min(share, Decimal(1) - taken[(user_id, day)])
                if part > 0:
                    taken[(user_id, day)] += part
                    row = rows.setdefault(user_id, PayRow(employee_id=user_id))
                    row.absences[kind_id] = row.absences.get(kind_id, Decimal(0)) + part
            day += datetime.timedelta(days=1)


def absence_kinds(rows: list[PayRow]) -> list:
    """The kinds of absence the rows name, in the pick-list's order: the payroll's columns."""
    from kesher.platform.models import Choice

    used = {kind for row in rows for kind in row.absences}
    if not used:
        return []
    return list(Choice.objects.filter(pk__in=used).order_by("order", "id"))

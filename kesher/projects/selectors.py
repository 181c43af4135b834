"""Reads of projects and time: the weekly timesheet grid, the month's balance against the
target hours, a project's budget burn and a manager's approval queue (REQ PR-1, PR-2). Each
is a fixed number of queries, whatever the number of rows."""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q, Sum

from kesher.activities.calendar import WorkWeek
from kesher.platform.access import is_admin
from kesher.projects.models import Project, TimeEntry, WorkTarget
from kesher.projects.services import week_start

__all__ = [
    "Balance",
    "BoardRow",
    "Burn",
    "GridRow",
    "Timesheet",
    "Utilisation",
    "absent_days",
    "approval_queue",
    "capacity_hours",
    "month_balance",
    "payroll_export_state",
    "planning_board",
    "project_burn",
    "timesheet",
    "utilisation",
    "week_capacity",
]

HOUR = Decimal(60)
_RANK = {"": 0, "draft": 1, "submitted": 2, "approved": 3, "billed": 4}


def hours(minutes: int | None) -> Decimal:
    return (Decimal(minutes or 0) / HOUR).quantize(Decimal("0.01"))


@dataclass
class GridRow:
    project: Project
    cells: list[dict] = field(default_factory=list)  # one per day: minutes, state, locked
    total: int = 0


@dataclass
class Timesheet:
    start: datetime.date
    days: list[datetime.date]
    rows: list[GridRow]
    day_totals: list[int]
    total: int
    drafts: int
    submitted: int
    approved: int

    @property
    def previous(self) -> datetime.date:
        return self.start - datetime.timedelta(days=7)

    @property
    def next(self) -> datetime.date:
        return self.start + datetime.timedelta(days=7)


def timesheet(user, week: datetime.date) -> Timesheet:
    """The user's week, Sunday to Saturday: a row for each project he reports on (he manages it
    or is on its team, and it is not closed) and each project he reported on that week."""
    start = week_start(week)
    days = [start + datetime.timedelta(days=i) for i in range(7)]
    entries = list(
        TimeEntry.objects.visible_to(user)
        .filter(user=user, date__range=(days[0], days[-1]))
        .values("project_id", "date", "minutes", "state")
    )
    reported = {e["project_id"] for e in entries}
    projects = list(
        Project.objects.visible_to(user)
        .filter(
            Q(pk__in=reported)
            | (
                (Q(owner=user) | Q(members__user=user))
                & ~Q(stage__value__in=("closed", "cancelled", "delivered"))
            )
        )
        .select_related("account")
        .only("name", "code", "account__name")
        .distinct()
        .order_by("name", "id")
    )
    index = {day: i for i, day in enumerate(days)}
    rows = {
        p.pk: GridRow(project=p, cells=[{"minutes": 0, "state": "", "day": day} for day in days])
        for p in projects
    }
    counts = dict.fromkeys(TimeEntry.State.values, 0)
    for entry in entries:
        row = rows.get(entry["project_id"])
        counts[entry["state"]] += 1
        if row is None:
            continue
        cell = row.cells[index[entry["date"]]]
        cell["minutes"] += entry["minutes"]
        cell["count"] = cell.get("count", 0) + 1
        if _RANK[entry["state"]] > _RANK[cell["state"]]:
            cell["state"] = entry["state"]
    day_totals = [0] * 7
    for row in rows.values():
        for i, cell in enumerate(row.cells):
            cell["locked"] = (
                cell["state"] in ("submitted", "approved", "billed") or cell.get("count", 0) > 1
            )
            row.total += cell["minutes"]
            day_totals[i] += cell["minutes"]
    return Timesheet(
        start=start,
        days=days,
        rows=list(rows.values()),
        day_totals=day_totals,
        total=sum(day_totals),
        drafts=counts["draft"],
        submitted=counts["submitted"],
        approved=counts["approved"] + counts["billed"],
    )


@dataclass
class Balance:
    month: datetime.date
    target: Decimal | None  # the month's target hours; None: no target set
    target_to_date: Decimal
    reported: Decimal

    @property
    def balance(self) -> Decimal:
        return self.reported - self.target_to_date


def workdays(first: datetime.date, last: datetime.date, week: WorkWeek | None = None) -> int:
    """Working days between two dates, both included, on the Israeli business calendar."""
    week = week or WorkWeek()
    count, day = 0, first
    while day <= last:
        if week.window(day) is not None:
            count += 1
        day += datetime.timedelta(days=1)
    return count


def month_balance(user, today: datetime.date) -> Balance:
    """What the user reported this month against his target, the target counted to today by
    the working days of the Israeli business calendar (holidays off)."""
    first = today.replace(day=1)
    last = today.replace(day=calendar.monthrange(today.year, today.month)[1])
    target_row = (
        WorkTarget.objects.filter(user=user, valid_from__lte=last)
        .order_by("-valid_from", "-id")
        .values_list("monthly_hours", flat=True)
        .first()
    )
    reported = hours(
        TimeEntry.objects.filter(user=user, date__range=(first, last)).aggregate(m=Sum("minutes"))[
            "m"
        ]
    )
    to_date = Decimal(0)
    if target_row is not None:
        total_days = workdays(first, last)
        if total_days:
            to_date = (target_row * workdays(first, today) / total_days).quantize(Decimal("0.01"))
    return Balance(month=first, target=target_row, target_to_date=to_date, reported=reported)


@dataclass
class Burn:
    budget_hours: Decimal | None
    reported: Decimal
    approved: Decimal
    billable: Decimal

    @property
    def percent(self) -> int | None:
        if not self.budget_hours:
            return None
        return int(self.reported * 100 / self.budget_hours)


def project_burn(project: Project) -> Burn:
    """Hours reported on the project and its sub-projects' direct hours against its budget."""
    sums = TimeEntry.objects.filter(project=project).aggregate(
        reported=Sum("minutes"),
        approved=Sum("minutes", filter=Q(state__in=TimeEntry.APPROVED_STATES)),
        billable=Sum("minutes", filter=Q(billable=True)),
    )
    return Burn(
        budget_hours=project.budget_hours,
        reported=hours(sums["reported"]),
        approved=hours(sums["approved"]),
        billable=hours(sums["billable"]),
    )


QUEUE_COLUMNS = (
    *("date", "minutes", "description", "billable", "state", "user", "project"),
    *("user__first_name", "user__last_name", "user__username", "project__name", "project__code"),
)


def approval_queue(user):
    """The submitted hours waiting for the user's decision: those of the projects he manages
    (an administrator: all), oldest first."""
    qs = TimeEntry.objects.filter(state=TimeEntry.State.SUBMITTED)
    if not is_admin(user):
        qs = qs.filter(project__owner=user)
    # Only what the list shows: hydrating whole rows of four tables cost more than the query.
    return list(
        qs.select_related("user", "project").only(*QUEUE_COLUMNS).order_by("user_id", "date", "id")
    )


def approval_count(user) -> int:
    """How many submitted entries wait for the user's decision."""
    qs = TimeEntry.objects.filter(state=TimeEntry.State.SUBMITTED)
    if not is_admin(user):
        qs = qs.filter(project__owner=user)
    return qs.count()


@dataclass
class BoardRow:
    user_id: int
    name: str
    cells: list[dict]  # per week: hours, capacity, over


def absent_days(
    user_ids, first: datetime.date, last: datetime.date
) -> dict[int, dict[datetime.date, Decimal]]:
    """Each person's days away between two dates, both included, in one query: the share of
    the day he is away (1, or 0.5 for a half day; two records of a day count at most the whole
    day). Whatever the reader may see of the absences: capacity is the person's, not the
    record's (decision 0122)."""
    from kesher.projects.models import Absence

    away: dict[int, dict[datetime.date, Decimal]] = {}
    rows = Absence.objects.filter(
        user_id__in=list(user_ids), start_date__lte=last, end_date__gte=first
    ).values_list("user_id", "start_date", "end_date", "half_day")
    for user_id, start, end, half in rows:
        share = Decimal("0.5") if half else Decimal(1)
        days = away.setdefault(user_id, {})
        day = max(start, first)
        while day <= min(end, last):
            days[day] = min(Decimal(1), days.get(day, Decimal(0)) + share)
            day += datetime.timedelta(days=1)
    return away


def _window_hours(week: WorkWeek, day: datetime.date) -> Decimal:
    window = week.window(day)
    if window is None:
        return Decimal(0)
    return Decimal(str(round((window[1] - window[0]).total_seconds() / 3600, 2)))


def week_capacity(
    start: datetime.date, week: WorkWeek, away: dict[datetime.date, Decimal] | None = None
) -> Decimal:
    """The working hours of a week on the business calendar (holidays off, eves short), less
    the person's days away (``away``: day → share of it)."""
    total = Decimal(0)
    for offset in range(7):
        day = start + datetime.timedelta(days=offset)
        length = _window_hours(week, day)
        if away and day in away:
            length -= length * away[day]
        total += length
    return total.quantize(Decimal("0.01"))


def planning_board(user, start: datetime.date, weeks: int = 12):
    """People × weeks: the hours planned for each person each week against the week's
    capacity (REQ PR-3). People are those with allocations in the range the user may see."""
    from kesher.activities.services import calendar_of
    from kesher.org.models import User
    from kesher.projects.models import Allocation

    first = week_start(start)
    starts = [first + datetime.timedelta(days=7 * i) for i in range(weeks)]
    calendar_week = calendar_of()
    capacity = [week_capacity(s, calendar_week) for s in starts]
    sums = (
        Allocation.objects.visible_to(user)
        .filter(week__range=(starts[0], starts[-1]))
        .values("user_id", "week")
        .annotate(hours=Sum("hours"))
        .order_by()
    )
    planned: dict[int, dict[datetime.date, Decimal]] = {}
    for item in sums:
        planned.setdefault(item["user_id"], {})[item["week"]] = item["hours"]
    names = {u.pk: str(u) for u in User.objects.filter(pk__in=planned)}
    # Absences take their days off the person's weeks (decision 0122): one query.
    away = absent_days(planned, starts[0], starts[-1] + datetime.timedelta(days=6))
    rows = []
    for user_id, by_week in planned.items():
        cells = []
        for s, cap in zip(starts, capacity, strict=True):
            hours_planned = by_week.get(s, Decimal(0))
            reduced = False
            if user_id in away:
                own = week_capacity(s, calendar_week, away[user_id])
                reduced, cap = own < cap, own
            cells.append(
                {"hours": hours_planned, "capacity": cap, "over": hours_planned > cap}
                | ({"reduced": True} if reduced else {})
            )
        rows.append(BoardRow(user_id=user_id, name=names.get(user_id, ""), cells=cells))
    rows.sort(key=lambda r: r.name)
    return starts, capacity, rows


@dataclass
class Utilisation:
    user_id: int
    name: str
    department: str
    minutes: int  # every hour reported, whatever its state
    approved_minutes: int
    billable_minutes: int
    capacity: Decimal  # hours, less the person's absences
    absent_hours: Decimal = Decimal(0)

    @property
    def hours(self) -> Decimal:
        return hours(self.minutes)

    def _share(self, minutes: int) -> int | None:
        if not self.capacity:
            return None
        return int(Decimal(minutes) * 100 / (self.capacity * HOUR))

    @property
    def percent(self) -> int | None:
        return self._share(self.minutes)

    @property
    def billable_percent(self) -> int | None:
        return self._share(self.billable_minutes)


def daily_capacity(first: datetime.date, last: datetime.date) -> dict[datetime.date, Decimal]:
    """The hours a full-time person can work each working day between two dates, both
    included: the payroll rule's daily hours in force on it, or the day's shorter working
    window (a holiday's eve); holidays and rest days are not in it. One query."""
    from kesher.activities.services import calendar_of
    from kesher.projects.models import PayrollRule
    from kesher.projects.payroll import DEFAULT_RULE

    week = calendar_of()
    rules = list(
        PayrollRule.objects.filter(valid_from__lte=last)
        .order_by("-valid_from", "-id")
        .values_list("valid_from", "daily_hours")
    )
    days = {}
    day = first
    while day <= last:
        if week.window(day) is not None:
            daily = next((h for start, h in rules if start <= day), DEFAULT_RULE.daily_hours)
            days[day] = min(daily, _window_hours(week, day))
        day += datetime.timedelta(days=1)
    return days


def capacity_hours(first: datetime.date, last: datetime.date) -> Decimal:
    """The hours a full-time person can work between two dates (``daily_capacity``'s sum)."""
    return sum(daily_capacity(first, last).values(), Decimal(0))


def absent_hours(days: dict[datetime.date, Decimal], away: dict[datetime.date, Decimal]) -> Decimal:
    """The working hours of ``days`` (day → capacity) a person's ``away`` takes off."""
    return sum(
        (
            (days[day] * share).quantize(Decimal("0.01"))
            for day, share in away.items()
            if day in days
        ),
        Decimal(0),
    )


def utilisation(user, first: datetime.date, last: datetime.date) -> list[Utilisation]:
    """Each person whose hours the user sees in the dates: what he reported, approved and
    billable, against the period's capacity less his absences (REQ PR-3, RE-1; decisions 0116,
    0122). Four queries whatever the number of people (the business calendar is kept per
    process)."""
    from kesher.org.models import User

    sums = (
        TimeEntry.objects.visible_to(user)
        .filter(date__range=(first, last))
        .values("user_id")
        .annotate(
            total=Sum("minutes"),
            approved=Sum("minutes", filter=Q(state__in=TimeEntry.APPROVED_STATES)),
            billable=Sum("minutes", filter=Q(billable=True)),
        )
        .order_by()
    )
    found = {row["user_id"]: row for row in sums}
    if not found:
        return []
    days = daily_capacity(first, last)
    capacity = sum(days.values(), Decimal(0))
    away = absent_days(found, first, last)
    people = User.objects.filter(pk__in=found).select_related("department")
    rows = []
    for person in people:
        off = absent_hours(days, away.get(person.pk, {}))
        rows.append(
            Utilisation(
                user_id=person.pk,
                name=str(person),
                department=str(person.department) if person.department_id else "",
                minutes=found[person.pk]["total"] or 0,
                approved_minutes=found[person.pk]["approved"] or 0,
                billable_minutes=found[person.pk]["billable"] or 0,
                capacity=capacity - off,
                absent_hours=off,
            )
        )
    rows.sort(key=lambda r: (r.department, r.name, r.user_id))
    return rows


@dataclass
class ExportState:
    exported: int  # the month's approved entries marked exported
    waiting: int  # approved since, not exported yet
    last: datetime.datetime | None


def payroll_export_state(user, month: datetime.date) -> ExportState:
    """How much of the month's approved hours the reader's payroll exported, and when last
    (decision 0122). One query."""
    from django.db.models import Count, Max

    from kesher.projects.payroll import month_range

    sums = (
        TimeEntry.objects.visible_to(user)
        .filter(state__in=TimeEntry.APPROVED_STATES, date__range=month_range(month))
        .aggregate(
            exported=Count("pk", filter=Q(exported_at__isnull=False)),
            waiting=Count("pk", filter=Q(exported_at__isnull=True)),
            last=Max("exported_at"),
        )
    )
    return ExportState(exported=sums["exported"], waiting=sums["waiting"], last=sums["last"])

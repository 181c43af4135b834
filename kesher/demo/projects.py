"""The demo's projects and hours (issue 20): an implementation project with a sub-project and a
maintenance retainer, their teams and roles, the team's monthly targets, a ticket of the
implementation, and the last weeks of hours — two weeks ago approved (the implementation's
invoiced as a draft tax invoice), last week waiting for the project managers' approval, this
week in draft up to today.

Everything goes through the projects' services with the employee or the manager as the actor,
relative to the day the demo is loaded, so the timesheet and the approvals look alive.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from kesher.catalogue.models import Product
from kesher.org.models import User
from kesher.platform.models import Choice
from kesher.platform.records.services import record_create
from kesher.projects.invoicing import invoice_hours
from kesher.projects.models import RunningTimer, TimeEntry
from kesher.projects.services import (
    entries_approve,
    timer_start,
    timesheet_save,
    week_start,
    week_submit,
)
from kesher.service.models import Ticket
from kesher.service.services import ticket_update

__all__ = ["create_projects"]


def week_submit_if_any(user, week) -> None:
    """Submit the user's week if it has draft hours (nothing to submit is no error here)."""
    if TimeEntry.objects.filter(
        user=user, state="draft", date__range=(week, week + datetime.timedelta(days=6))
    ).exists():
        week_submit(actor=user, week=week)


def _plan_and_absences(users, projects, this_week) -> None:
    """The planning board's next four weeks (REQ PR-3) and the absences that take days off
    them (decision 0122): Hadas on reserve duty next week, Noa's half day of vacation."""
    admin = users["admin"]
    for weeks_on in range(4):
        week = this_week + datetime.timedelta(days=7 * weeks_on)
        for name, key, planned in (
            ("alon", "crm", "30"),
            ("alon", "support", "6"),
            ("noa", "crm", "36"),
            ("hadas", "crm", "24"),
            ("shira", "support", "12"),
        ):
            record_create(
                "allocations",
                actor=admin,
                data={
                    "project": projects[key],
                    "user": users[name],
                    "week": week,
                    "hours": planned,
                },
            )
    kinds = {c.value: c for c in Choice.objects.filter(list_key="absence_kind")}
    next_week = this_week + datetime.timedelta(days=7)
    for name, kind, first, last, half, notes in (
        ("hadas", "reserve_duty", next_week, next_week + datetime.timedelta(days=4), False, "צו 8"),
        ("noa", "vacation", next_week + datetime.timedelta(days=3), None, True, ""),
    ):
        if kind in kinds:
            record_create(
                "absences",
                actor=users[name],
                data={
                    "user": users[name],
                    "kind": kinds[kind],
                    "start_date": first,
                    "end_date": last or first,
                    "half_day": half,
                    "notes": notes,
                },
            )


# key, name, code, stage, billing, manager, hours, shekels, parent, [(member, role)]
PROJECTS = [
    (
        "crm",
        "הטמעת מערכת CRM",
        "P-101",
        "in_progress",
        "time_materials",
        "moshe",
        "240",
        "84000",
        None,
        [("alon", "implementer"), ("noa", "consultant"), ("hadas", "tester")],
    ),
    (
        "migration",
        "הסבת נתונים מהמערכת הישנה",
        "P-101.1",
        "in_progress",
        "time_materials",
        "moshe",
        "60",
        "21000",
        "crm",
        [("alon", "developer")],
    ),
    (
        "support",
        "תחזוקה ותמיכה שוטפת 2026",
        "P-102",
        "in_progress",
        "retainer",
        "itay",
        "20",
        "7500",
        None,
        [("shira", "consultant"), ("alon", "implementer")],
    ),
    (
        "website",
        "אפיון פורטל לקוחות",
        "P-103",
        "planning",
        "fixed_price",
        "itay",
        "80",
        "32000",
        None,
        [("noa", "analyst")],
    ),
]

# employee: {project key: hours Sunday..Thursday}
WEEK = {
    "alon": {"crm": [5, 6, 4, 6, 5], "migration": [2, 2, 3, 1, 2], "support": [1, 0, 1, 1, 1]},
    "noa": {"crm": [7, 8, 6, 8.5, 7]},
    "hadas": {"crm": [3, 4, 4, 2, 3]},
    "shira": {"support": [2, 1.5, 2, 3, 2]},
}
TARGET_HOURS = "182"


def create_projects(users: dict[str, User]) -> None:
    admin = users["admin"]
    choices = {
        (c.list_key, c.value): c
        for c in Choice.objects.filter(
            list_key__in=("project_stage", "project_billing_mode", "project_role")
        )
    }
    ticket = Ticket.objects.filter(account__isnull=False).order_by("pk").first()
    account = ticket.account if ticket else None
    if account is None:
        return
    projects = {}
    for key, name, code, stage, billing, manager, hours, money, parent, team in PROJECTS:
        # The administrator opens the projects for their managers: a rep manages a project of a
        # customer that is not his own.
        project = record_create(
            "projects",
            actor=admin,
            data={
                "name": name,
                "code": code,
                "account": account,
                "parent": projects.get(parent),
                "stage": choices[("project_stage", stage)],
                "billing_mode": choices[("project_billing_mode", billing)],
                "owner": users[manager],
                "start_date": timezone.localdate() - datetime.timedelta(days=45),
                "end_date": timezone.localdate() + datetime.timedelta(days=75),
                "budget_hours": Decimal(hours),
                "budget_amount": Decimal(money),
                "description": "",
            },
        )
        projects[key] = project
        for member, role in team:
            record_create(
                "project-members",
                actor=admin,
                data={
                    "project": project,
                    "user": users[member],
                    "role": choices[("project_role", role)],
                },
            )
    for name in WEEK:
        record_create(
            "work-targets",
            actor=admin,
            data={
                "user": users[name],
                "valid_from": timezone.localdate().replace(day=1) - datetime.timedelta(days=62),
                "monthly_hours": Decimal(TARGET_HOURS),
            },
        )
    # The rates the customer is billed (REQ PR-4): a house rate, and more for consultants.
    for name, role, rate in (("תעריף בסיס", None, "250"), ("יועץ", "consultant", "350")):
        record_create(
            "rate-cards",
            actor=admin,
            data={
                "name": name,
                "role": choices[("project_role", role)] if role else None,
                "valid_from": timezone.localdate().replace(day=1) - datetime.timedelta(days=62),
                "hourly_rate": Decimal(rate),
            },
        )
    # What an hour of each costs the business (decision 0116): the profitability page sets the
    # projects' value against it; the managers read it, the employees do not.
    for name, cost in (
        ("alon", "140"),
        ("noa", "120"),
        ("hadas", "95"),
        ("shira", "85"),
        ("moshe", "180"),
        ("itay", "170"),
    ):
        if name in users:
            record_create(
                "cost-rates",
                actor=admin,
                data={
                    "user": users[name],
                    "valid_from": timezone.localdate().replace(day=1) - datetime.timedelta(days=62),
                    "hourly_cost": Decimal(cost),
                    "notes": "שכר ועלויות מעביד",
                },
            )
    # The implementation's first ticket is about its work (REQ SV-6).
    ticket_update(ticket, actor=admin, data={"project": projects["crm"]})
    today = timezone.localdate()
    this_week = week_start(today)
    for weeks_ago in (2, 1, 0):
        start = this_week - datetime.timedelta(days=7 * weeks_ago)
        for name, rows in WEEK.items():
            cells = {}
            for key, day_hours in rows.items():
                for offset, hours_worked in enumerate(day_hours):
                    day = start + datetime.timedelta(days=offset)
                    if day > today or not hours_worked:
                        continue
                    cells[(projects[key].pk, day)] = int(Decimal(str(hours_worked)) * 60)
            if not cells:
                continue
            timesheet_save(actor=users[name], week=start, cells=cells)
            if weeks_ago:
                week_submit(actor=users[name], week=start)
        if weeks_ago == 2:
            for manager in ("moshe", "itay"):
                ids = list(
                    TimeEntry.objects.filter(
                        project__owner=users[manager], state="submitted", date__gte=start
                    ).values_list("pk", flat=True)
                )
                entries_approve(actor=users[manager], ids=ids)
    # Some of this month's hours are approved already (decision 0122), so that utilisation and
    # profitability — this month by default — show approved hours: Shira sends this week's
    # maintenance hours, and Itay approves his projects' hours of the month so far.
    if today >= this_week:
        week_submit_if_any(users["shira"], this_week)
    month_ids = list(
        TimeEntry.objects.filter(
            project__owner=users["itay"], state="submitted", date__gte=today.replace(day=1)
        ).values_list("pk", flat=True)
    )
    if month_ids:
        entries_approve(actor=users["itay"], ids=month_ids)
    _plan_and_absences(users, projects, this_week)
    # Noa's clock has been running on the implementation since the morning (decision 0116).
    timer_start(actor=users["noa"], project=projects["crm"], description="הגדרת תהליכי מכירה")
    RunningTimer.objects.filter(user=users["noa"]).update(
        started_at=timezone.now() - datetime.timedelta(minutes=40)
    )
    # The implementation's approved week becomes a draft tax invoice (REQ PR-4, decision 0106).
    hour = Product.objects.filter(sku="TRN-HR").first()
    if hour is not None:
        invoice_hours(actor=users["moshe"], product=hour, project=projects["crm"])

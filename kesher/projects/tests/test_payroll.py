"""Payroll hours (REQ PR-4): overtime by the rule in force — Israel's Hours of Work and Rest
Law's defaults — the export for the payroll system, and hours hidden from roles."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from kesher.platform.records.services import record_create, record_update
from kesher.projects.models import PayrollRule, TimeEntry
from kesher.projects.payroll import payroll_month, split_day
from kesher.projects.services import entries_approve, week_submit
from kesher.projects.tests.factories import make_project, report

pytestmark = pytest.mark.django_db

SUNDAY = datetime.date(2026, 1, 4)


def test_the_law_defaults_split_a_day():
    """8.6 h a day, then 2 h at 125% and the rest at 150%; the rest day all at 150%."""
    rule = PayrollRule.objects.get()
    assert (rule.daily_hours, rule.first_overtime_percent, rule.further_overtime_percent) == (
        Decimal("8.60"),
        125,
        150,
    )
    assert split_day(8 * 60, rule, rest_day=False) == (480, 0, 0, 0)
    assert split_day(9 * 60, rule, rest_day=False) == (516, 24, 0, 0)
    assert split_day(12 * 60, rule, rest_day=False) == (516, 120, 84, 0)
    assert split_day(5 * 60, rule, rest_day=True) == (0, 0, 0, 300)


def _approved_week(users):
    pm = users["sales_rep"]
    project = make_project(pm)
    report(pm, project, SUNDAY, 12 * 60)  # 8.6 + 2 + 1.4
    report(pm, project, SUNDAY + datetime.timedelta(days=1), 8 * 60)
    report(pm, project, SUNDAY + datetime.timedelta(days=6), 3 * 60)  # Saturday
    week_submit(actor=pm, week=SUNDAY)
    entries_approve(actor=pm, ids=list(TimeEntry.objects.values_list("pk", flat=True)))
    return pm


def test_a_month_of_approved_hours_per_employee(users):
    pm = _approved_week(users)
    [row] = payroll_month(users["admin"], SUNDAY)
    assert row.employee_id == pm.pk
    assert (row.regular, row.first_overtime, row.further_overtime, row.rest_day) == (
        516 + 480,
        120,
        84,
        180,
    )
    assert row.total == 23 * 60
    # A six-day-week rule from the month on changes the threshold to 8 hours.
    record_create(
        "payroll-rules",
        actor=users["admin"],
        data={"name": "6 days", "valid_from": datetime.date(2026, 1, 1), "daily_hours": "8"},
    )
    [row] = payroll_month(users["admin"], SUNDAY)
    assert (row.regular, row.first_overtime, row.further_overtime) == (960, 120, 120)


def test_the_export_is_csv_and_xlsx_and_hidden_hours_are_not_shown(users, client_for):
    _approved_week(users)
    manager = users["manager"]
    client = client_for(manager)
    url = reverse("projects_payroll")
    page = client.get(url, {"month": "2026-01"})
    assert page.status_code == 200
    assert 'id="payroll-table"' in page.content.decode()
    export = reverse("projects_payroll_export")
    text = client.post(export, {"month": "2026-01", "format": "csv"}).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1][1:] == ["2026-01", "3", "16.60", "2.00", "1.40", "3.00", "23.00"]
    xlsx = client.post(export, {"month": "2026-01", "format": "xlsx"})
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    # The administrator hides time entries' minutes from managers (field-level visibility).
    record_create(
        "field-rules",
        actor=users["admin"],
        data={"entity": "time-entries", "field": "minutes", "hidden_roles": ["manager"]},
    )
    page = client.get(url, {"month": "2026-01"}).content.decode()
    assert 'id="payroll-hidden"' in page
    assert client.post(export, {"month": "2026-01", "format": "csv"}).status_code == 403
    assert client_for(users["sales_rep"]).get(url).status_code == 403


def test_the_weekly_threshold_makes_a_weeks_hours_beyond_42_overtime(users):
    """42 hours a week by the law (decision 0111): a rep's nine hours a day, Sunday 28 December
    to Thursday 1 January, are 8.6 regular each of the first four days (34.4 h) — so on the
    Thursday only 7.6 hours are left in the week: 456 minutes regular, 84 at 125%. January's
    payroll counts the Thursday alone, the week's first days towards its threshold; a rule of
    50 weekly hours leaves the Thursday's 8.6 regular."""
    rep = users["sales_rep"]
    rule = PayrollRule.objects.get()
    assert rule.weekly_hours == Decimal("42")
    assert split_day(9 * 60, rule, rest_day=False, week_regular=4 * 516) == (456, 84, 0, 0)
    assert split_day(9 * 60, rule, rest_day=False, week_regular=42 * 60) == (0, 120, 420, 0)
    sunday = datetime.date(2025, 12, 28)
    project = make_project(rep)
    for day in range(5):
        report(rep, project, sunday + datetime.timedelta(days=day), 9 * 60)
    week_submit(actor=rep, week=sunday)
    entries_approve(actor=users["admin"], ids=list(TimeEntry.objects.values_list("pk", flat=True)))
    [january] = payroll_month(users["admin"], datetime.date(2026, 1, 1))
    assert (january.regular, january.first_overtime, january.further_overtime) == (456, 84, 0)
    assert january.days == 1
    [december] = payroll_month(users["admin"], datetime.date(2025, 12, 1))
    assert (december.regular, december.first_overtime, december.days) == (4 * 516, 4 * 24, 4)
    record_update(rule, actor=users["admin"], data={"weekly_hours": "50"})
    [january] = payroll_month(users["admin"], datetime.date(2026, 1, 1))
    assert (january.regular, january.first_overtime) == (516, 24)
    # Bad input: a week beyond its 168 hours is refused, nothing written.
    with pytest.raises(ValidationError):
        record_update(rule, actor=users["admin"], data={"weekly_hours": "200"})
    rule.refresh_from_db()
    assert rule.weekly_hours == Decimal("50")


def test_exporting_a_month_marks_its_hours_exported_and_locks_them(users, client_for, api_for):
    """Issue 20 items 2 and 4 (decision 0122): the export marks the month's approved hours
    exported; they are locked (a translated refusal), a second export gives the same file,
    hours approved later are marked by the next, and an administrator reopens the month — its
    unbilled hours back to approval — with an audit entry each."""
    from kesher.platform.models import AuditEntry
    from kesher.projects.services import payroll_reopen

    pm = _approved_week(users)
    admin = users["admin"]
    client = client_for(admin)
    export = reverse("projects_payroll_export")
    first = client.post(export, {"month": "2026-01", "format": "csv"}).content
    entries = list(TimeEntry.objects.order_by("id"))
    assert all(entry.exported_at is not None for entry in entries)
    assert (
        AuditEntry.objects.filter(
            object_id__in=[e.pk for e in entries], changes__has_key="exported_at"
        ).count()
        == 3
    )
    assert client.post(export, {"month": "2026-01", "format": "csv"}).content == first
    assert [e.exported_at for e in TimeEntry.objects.order_by("id")] == [
        e.exported_at for e in entries
    ]
    page = client.get(reverse("projects_payroll"), {"month": "2026-01"}).content.decode()
    assert 'id="payroll-exported"' in page
    assert 'id="payroll-reopen"' in page
    # Locked: the API refuses the change in the reader's language, nothing written.
    answer = api_for(admin, language="he").patch(
        f"/api/v1/time-entries/{entries[0].pk}/", {"minutes": 30}, format="json"
    )
    assert answer.status_code in (400, 409), answer.content
    assert "שכר" in answer.content.decode()
    assert TimeEntry.objects.get(pk=entries[0].pk).minutes == 12 * 60
    # Hours approved after the export are shown and marked by the next export only.
    later = report(pm, TimeEntry.objects.first().project, SUNDAY + datetime.timedelta(days=9), 60)
    week_submit(actor=pm, week=SUNDAY + datetime.timedelta(days=7))
    entries_approve(actor=pm, ids=[later.pk])
    page = client.get(reverse("projects_payroll"), {"month": "2026-01"}).content.decode()
    assert "דיווח אחד שאושר מאז עוד לא יוצא" in page
    client.post(export, {"month": "2026-01", "format": "xlsx"})
    later.refresh_from_db()
    assert later.exported_at is not None
    # Only an administrator reopens; the month's unbilled hours wait for approval again.
    assert (
        client_for(users["manager"])
        .post(reverse("projects_payroll_reopen"), {"month": "2026-01"})
        .status_code
        == 403
    )
    with pytest.raises(ValidationError):
        payroll_reopen(actor=pm, month=SUNDAY)
    response = client.post(reverse("projects_payroll_reopen"), {"month": "2026-01"})
    assert response.status_code == 302
    states = set(TimeEntry.objects.values_list("state", "exported_at"))
    assert states == {("submitted", None)}
    assert (
        AuditEntry.objects.filter(object_id=entries[0].pk, changes__has_key="exported_at").count()
        == 2
    )

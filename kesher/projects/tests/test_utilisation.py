"""Utilisation against capacity (REQ PR-3, RE-1; issue 20; decision 0116): each person's
reported hours against the working days of the business calendar at the payroll rule's daily
hours, for the hours the reader sees; on the page and the API, in a fixed number of queries."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kesher.platform.records.services import record_create
from kesher.projects.models import TimeEntry
from kesher.projects.selectors import capacity_hours, utilisation
from kesher.projects.services import entries_approve, week_submit
from kesher.projects.tests.factories import make_project, report

pytestmark = pytest.mark.django_db

SUNDAY = datetime.date(2026, 11, 1)
SATURDAY = SUNDAY + datetime.timedelta(days=6)
WEEK = {"date_from": "2026-11-01", "date_to": "2026-11-07"}


def test_capacity_is_the_calendars_working_days_at_the_rules_daily_hours(users):
    # Sunday–Thursday at the law's 8.6 hours; Friday and Saturday closed.
    assert capacity_hours(SUNDAY, SATURDAY) == Decimal("43.0")
    # The week of Pesach 2026 (Thursday 2 April the first day, its eve short) holds less.
    assert capacity_hours(datetime.date(2026, 3, 29), datetime.date(2026, 4, 4)) < Decimal("34.4")
    # An administrator's rule of a six-day week's 8 hours counts from its date.
    record_create(
        "payroll-rules",
        actor=users["admin"],
        data={"name": "8 h", "valid_from": SUNDAY + datetime.timedelta(days=3), "daily_hours": "8"},
    )
    assert capacity_hours(SUNDAY, SATURDAY) == Decimal("8.6") * 3 + Decimal("8") * 2


def test_each_persons_hours_against_capacity_as_the_reader_sees_them(users):
    pm, rep, rep2 = users["manager"], users["sales_rep"], users["sales_rep2"]
    project = make_project(pm)
    record_create("project-members", actor=pm, data={"project": project, "user": rep})
    report(pm, project, SUNDAY, 8 * 60)
    report(pm, project, SUNDAY + datetime.timedelta(days=1), 9 * 60, billable=False)
    report(rep, project, SUNDAY, 4 * 60 + 18)
    week_submit(actor=pm, week=SUNDAY)
    entries_approve(
        actor=pm,
        ids=list(TimeEntry.objects.filter(state="submitted").values_list("pk", flat=True)),
    )
    rows = {r.user_id: r for r in utilisation(users["admin"], SUNDAY, SATURDAY)}
    assert set(rows) == {pm.pk, rep.pk}
    mine = rows[pm.pk]
    assert (mine.minutes, mine.approved_minutes, mine.billable_minutes) == (1020, 1020, 480)
    assert mine.capacity == Decimal("43.0")
    assert (mine.percent, mine.billable_percent) == (39, 18)
    assert rows[rep.pk].percent == 10  # 4.3 h of 43, a draft counts as reported
    assert rows[rep.pk].approved_minutes == 0
    # The rep sees his own hours only; the other rep none.
    assert [r.user_id for r in utilisation(rep, SUNDAY, SATURDAY)] == [rep.pk]
    assert utilisation(rep2, SUNDAY, SATURDAY) == []


def test_page_and_api(users, client_for, api_for):
    pm = users["manager"]
    project = make_project(pm)
    report(pm, project, SUNDAY, 450)
    page = client_for(pm).get("/projects/utilisation/", WEEK)
    assert page.status_code == 200
    text = page.content.decode()
    assert "ניצולת" in text
    assert "7:30" in text
    assert "17%" in text
    [row] = api_for(pm).get("/api/v1/time-entries/utilisation/", WEEK).json()
    assert row == {
        "user": pm.pk,
        "name": str(pm),
        "department": str(pm.department) if pm.department_id else "",
        "hours": "7.50",
        "approved_hours": "0.00",
        "billable_hours": "7.50",
        "capacity_hours": "43.00",
        "absent_hours": "0.00",
        "percent": 17,
        "billable_percent": 17,
    }
    wrong = api_for(pm).get(
        "/api/v1/time-entries/utilisation/", {"date_from": "2026-11-07", "date_to": "2026-11-01"}
    )
    assert wrong.status_code == 400
    too_long = {"date_from": "2020-01-01", "date_to": "2026-11-01"}
    assert client_for(pm).get("/projects/utilisation/", too_long).status_code == 400
    # Hours hidden from the managers by a field rule: not shown, not served.
    record_create(
        "field-rules",
        actor=users["admin"],
        data={"entity": "time-entries", "field": "minutes", "hidden_roles": ["manager"]},
    )
    assert "7:30" not in client_for(pm).get("/projects/utilisation/", WEEK).content.decode()
    assert api_for(pm).get("/api/v1/time-entries/utilisation/", WEEK).status_code == 403


def test_the_same_queries_for_few_or_many_people(users, api_for):
    admin = users["admin"]
    people = [users[k] for k in ("manager", "sales_rep", "sales_rep2", "support_agent")]
    client = api_for(admin)
    counts = []
    for group in (people[:1], people):
        for person in group:
            report(person, make_project(person), SUNDAY, 60)
        client.get("/api/v1/time-entries/utilisation/", WEEK)
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/api/v1/time-entries/utilisation/", WEEK)
        assert len(response.json()) == len(group)
        counts.append(len(queries))
    assert counts[0] == counts[1]

"""Built-in reports of the hours (REQ RE-1; issue 20 item 5; decision 0111): hours by customer,
budget against actual per project, hours per person by month — each run as its reader, who
counts only the hours he may see; shared with the managers, on the reports page and the API,
not found by the roles they are not shared with."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from kesher.customers.tests.factories import make_account
from kesher.platform.records.services import record_create
from kesher.projects.models import TimeEntry
from kesher.projects.services import entries_approve, week_submit
from kesher.projects.tests.factories import make_project, report
from kesher.reports import charts, engine
from kesher.reports.models import Report

pytestmark = pytest.mark.django_db

BY_CUSTOMER = "שעות לפי לקוח"
BUDGET = "תקציב מול ביצוע לפי פרויקט"
BY_PERSON = "שעות לפי עובד וחודש"


def _shipped(name: str) -> Report:
    return Report.objects.get(name=name, owner=None)


def _figures(user, name: str) -> dict:
    definition = engine.parse(_shipped(name).definition, user)
    result = engine.run(definition, user)
    return {tuple(c.value for c in row.groups): row.figures for row in result.rows}


@pytest.fixture
def hours(users):
    """Last week: the manager's 90 minutes and the rep's 60 on project A (customer X, 10 h
    budget), the rep's 30 on project B (customer Y, 5 h), approved; the rep's 45 minutes this
    week are a draft and count nowhere."""
    pm, rep = users["manager"], users["sales_rep"]
    today = timezone.localdate()
    sunday = today - datetime.timedelta(days=(today.weekday() + 1) % 7 + 7)
    a = make_project(pm, account=make_account(pm, name="לקוח X"), budget_hours="10")
    b = make_project(pm, account=make_account(pm, name="לקוח Y"), budget_hours="5")
    for project in (a, b):
        record_create("project-members", actor=pm, data={"project": project, "user": rep})
    report(pm, a, sunday, 90)
    report(rep, a, sunday + datetime.timedelta(days=1), 60)
    report(rep, b, sunday + datetime.timedelta(days=2), 30)
    week_submit(actor=pm, week=sunday)
    week_submit(actor=rep, week=sunday)
    entries_approve(actor=pm, ids=list(TimeEntry.objects.values_list("pk", flat=True)))
    report(rep, b, sunday + datetime.timedelta(days=7), 45)
    return a, b


def test_hours_by_customer_are_the_hours_the_reader_sees(users, hours):
    a, b = hours
    assert _figures(users["admin"], BY_CUSTOMER) == {
        (a.account_id,): [150, 2],
        (b.account_id,): [30, 1],
    }
    # The rep counts his own hours only.
    assert _figures(users["sales_rep"], BY_CUSTOMER) == {
        (a.account_id,): [60, 1],
        (b.account_id,): [30, 1],
    }


def test_budget_against_actual_per_project(users, hours):
    a, b = hours
    assert _figures(users["manager"], BUDGET) == {
        (a.pk,): [Decimal("10"), 150],
        (b.pk,): [Decimal("5"), 30],
    }


def test_hours_per_person_and_month(users, hours):
    pm, rep = users["manager"], users["sales_rep"]
    figures = _figures(users["admin"], BY_PERSON)
    per_person: dict[int, int] = {}
    for (person, _month), (minutes,) in figures.items():
        per_person[person] = per_person.get(person, 0) + minutes
    assert per_person == {pm.pk: 90, rep.pk: 90}


def test_shared_with_the_managers_on_the_page_and_the_api(users, hours, client_for, api_for):
    for name in (BY_CUSTOMER, BUDGET, BY_PERSON):
        shipped = _shipped(name)
        assert set(shipped.shared_roles.values_list("key", flat=True)) == {"manager"}
        page = client_for(users["manager"]).get(f"/reports/{shipped.pk}/")
        assert page.status_code == 200
        assert name in page.content.decode()
        result = api_for(users["manager"]).get(f"/api/v1/reports/{shipped.pk}/result/")
        assert result.status_code == 200
        assert result.json()["rows"]
        # Not shared with the sales reps or the read-only users: not found.
        for who in ("sales_rep", "read_only"):
            assert client_for(users[who]).get(f"/reports/{shipped.pk}/").status_code == 404
            status = api_for(users[who]).get(f"/api/v1/reports/{shipped.pk}/result/").status_code
            assert status == 404, (who, status)


def test_hours_are_shown_as_hours_not_minutes(users, hours, client_for, api_for):
    """A time entry's minutes are a length of time (``Entity.durations``): the report builder
    shows their sum as h:mm, exports and charts it in hours, and the API says the unit."""
    _a, _b = hours
    pm = users["manager"]
    shipped = _shipped(BUDGET)
    assert "60 minutes an hour" not in shipped.description
    page = client_for(pm).get(f"/reports/{shipped.pk}/").content.decode()
    # Project A: 90 + 60 minutes.
    assert "2:30" in page
    assert ">150<" not in page
    body = api_for(pm, "en").get(f"/api/v1/reports/{shipped.pk}/result/").json()
    figure = body["columns"][-1]
    assert figure["duration"] == "minutes"
    assert figure["label"].endswith("(hours)")
    assert "duration" not in body["columns"][-2]  # the budget in hours is a number
    csv = client_for(pm).get(f"/reports/{shipped.pk}/export/csv/").content.decode("utf-8-sig")
    assert "2.5" in csv
    assert ",150" not in csv
    # The chart of hours by person and month draws hours.
    definition = engine.parse(_shipped(BY_PERSON).definition, users["admin"])
    option = charts.option_for(engine.run(definition, users["admin"]))
    # 90 minutes each, whichever month last week's days fell in.
    values = [d["value"] for s in option["series"] for d in s["data"] if d["value"]]
    assert sum(values) == 3.0


def test_a_duration_reads_as_hours_and_minutes():
    assert engine.duration_text(450) == "7:30"
    assert engine.duration_text(Decimal("7.6")) == "0:08"
    assert engine.duration_text(5400, "seconds") == "1:30"
    assert engine.duration_text(-75) == "-1:15"
    assert engine.duration_text(75005) == "1,250:05"


def test_a_gauge_of_hours_takes_its_target_in_hours_and_shows_h_mm(users, hours):
    """Decision 0122: a dashboard gauge of time entries' minutes is given its target in hours
    (as the figure reads, 2:30), shows it as h:mm and draws the arc in hours."""
    from kesher.reports.views import result_context

    gauge = {
        "entity": "time-entries",
        "filter": {"field": "state", "op": "in", "value": ["approved", "billed"]},
        "measures": [{"agg": "sum", "field": "minutes"}],
        "display": "chart",
        "chart": "gauge",
        "target": 6,
    }
    admin = users["admin"]
    result = engine.run(engine.parse(gauge, admin), admin)
    (figure,) = result_context(result, "שעות", "chart-1")["kpi"]
    # 90 + 60 + 30 approved minutes = 3 hours of a 6-hour target.
    assert figure["value"] == "3:00"
    assert figure["target"] == "6:00"
    assert figure["share"] == 50
    series = charts.option_for(result)["series"][0]
    assert (series["max"], series["data"][0]["value"], series["detail"]["formatter"]) == (
        6.0,
        3.0,
        "50%",
    )
    # The API keeps figures and target in the stored unit, the column naming it.
    body = result.as_json()
    assert (body["target"], body["totals"], body["columns"][0]["duration"]) == (
        360,
        [180],
        "minutes",
    )

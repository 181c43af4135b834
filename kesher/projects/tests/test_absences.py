"""Absences in capacity (REQ PR-3, PR-4; issue 20 item 3; decision 0122): a person's days away —
their kinds a pick-list — come off his capacity on the planning board and in utilisation, the
over-allocation is shown against what is left, and the month's payroll shows the days away.
A person sees his own, his team's manager theirs, the administrator all."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kesher.platform.models import Choice
from kesher.platform.records.services import record_create
from kesher.projects.models import Absence, TimeEntry
from kesher.projects.payroll import payroll_month
from kesher.projects.selectors import absent_days, planning_board, utilisation
from kesher.projects.services import entries_approve, week_submit
from kesher.projects.tests.factories import make_project, report

pytestmark = pytest.mark.django_db

# Sunday 1 November 2026: an ordinary week, Sunday–Thursday 8:30–17:30 (45 h on the board,
# 43 h at the payroll rule's 8.6 h a day).
SUNDAY = datetime.date(2026, 11, 1)
THURSDAY = SUNDAY + datetime.timedelta(days=4)
SATURDAY = SUNDAY + datetime.timedelta(days=6)


def kind(value: str) -> Choice:
    return Choice.objects.get(list_key="absence_kind", value=value)


def away(actor, user, first, last=None, value="vacation", **data):
    return record_create(
        "absences",
        actor=actor,
        data={
            "user": user,
            "kind": kind(value),
            "start_date": first,
            "end_date": last or first,
            **data,
        },
    )


def test_the_kinds_are_a_pick_list_and_bad_dates_are_refused(users):
    assert set(
        Choice.objects.filter(list_key="absence_kind").values_list("label_he", flat=True)
    ) >= {"חופשה", "מחלה", "מילואים"}
    rep = users["sales_rep"]
    with pytest.raises(ValidationError) as error:
        away(rep, rep, THURSDAY, SUNDAY)
    assert "end_date" in error.value.message_dict
    with pytest.raises(ValidationError):
        record_create(
            "absences",
            actor=rep,
            data={
                "user": rep,
                "kind": Choice.objects.get(list_key="project_role", value="developer"),
                "start_date": SUNDAY,
                "end_date": SUNDAY,
            },
        )
    assert not Absence.objects.exists()


def test_a_person_sees_his_own_his_manager_the_team_and_the_administrator_all(users, api_for):
    rep, rep2, manager, admin = (
        users["sales_rep"],
        users["sales_rep2"],
        users["manager"],
        users["admin"],
    )
    mine = away(rep, rep, SUNDAY, value="reserve_duty", notes="צו 8")
    other = away(rep2, rep2, SUNDAY, value="sick")
    assert list(Absence.objects.visible_to(rep)) == [mine]
    # The manager of the sales department (North under it) sees rep1's, not rep2's (service).
    assert list(Absence.objects.visible_to(manager)) == [mine]
    assert set(Absence.objects.visible_to(admin)) == {mine, other}
    # A rep records no absence in another's name.
    client = api_for(rep)
    refused = client.post(
        "/api/v1/absences/",
        {
            "user": rep2.pk,
            "kind": kind("vacation").pk,
            "start_date": "2026-11-05",
            "end_date": "2026-11-05",
        },
        format="json",
    )
    assert refused.status_code in (400, 403), refused.content
    assert Absence.objects.count() == 2
    made = client.post(
        "/api/v1/absences/",
        {
            "kind": kind("vacation").pk,
            "start_date": "2026-11-05",
            "end_date": "2026-11-05",
            "half_day": True,
        },
        format="json",
    )
    assert made.status_code == 201, made.content
    assert Absence.objects.get(pk=made.json()["id"]).user == rep
    # His team's manager records rep1's absence, not rep2's (another department).
    from kesher.projects.services import absence_create

    data = {"kind": kind("sick"), "start_date": THURSDAY, "end_date": THURSDAY}
    assert absence_create(actor=manager, data={**data, "user": rep}).user == rep
    with pytest.raises(ValidationError) as error:
        absence_create(actor=manager, data={**data, "user": rep2})
    assert "user" in error.value.message_dict
    assert Absence.objects.count() == 4
    answer = api_for(rep).get("/api/v1/absences/")
    assert answer.status_code == 200
    assert len(answer.json()["results"]) == 3


def test_the_days_away_of_a_range_with_half_days(users):
    rep = users["sales_rep"]
    away(rep, rep, SUNDAY, SUNDAY + datetime.timedelta(days=1))
    away(rep, rep, THURSDAY, half_day=True, value="personal")
    away(rep, rep, THURSDAY, half_day=True)
    away(rep, rep, THURSDAY, half_day=True)  # a third half of one day: still one day
    days = absent_days([rep.pk], SUNDAY, SATURDAY)[rep.pk]
    assert days == {
        SUNDAY: Decimal(1),
        SUNDAY + datetime.timedelta(days=1): Decimal(1),
        THURSDAY: Decimal(1),
    }


def test_the_board_takes_absences_off_the_persons_week_and_shows_over_allocation(users, client_for):
    admin, rep, rep2 = users["admin"], users["sales_rep"], users["sales_rep2"]
    project = make_project(admin)
    for person in (rep, rep2):
        record_create(
            "allocations",
            actor=admin,
            data={"project": project, "user": person, "week": SUNDAY, "hours": "40"},
        )
    # Two days of reserve duty (9 h each on the board) and a half day: 45 − 18 − 4.5 = 22.5.
    away(rep, rep, SUNDAY, SUNDAY + datetime.timedelta(days=1), value="reserve_duty")
    away(rep, rep, THURSDAY, half_day=True)
    _starts, capacity, rows = planning_board(admin, SUNDAY)
    cells = {row.user_id: row.cells[0] for row in rows}
    assert capacity[0] == Decimal("45")
    assert cells[rep.pk] == {
        "hours": Decimal("40"),
        "capacity": Decimal("22.50"),
        "over": True,
        "reduced": True,
    }
    assert cells[rep2.pk] == {"hours": Decimal("40"), "capacity": Decimal("45"), "over": False}
    # The next week is whole again.
    assert rows[0].cells[1]["capacity"] == Decimal("45")
    page = client_for(admin).get("/projects/board/", {"start": SUNDAY.isoformat()}).content.decode()
    assert "board-capacity" in page
    assert "/ 22.5" in page


def test_the_board_reads_absences_in_one_query_for_few_or_many_people(users, client_for):
    admin = users["admin"]
    client = client_for(admin)
    counts = []
    for people in (
        (users["sales_rep"],),
        (users["sales_rep2"], users["support_agent"], users["manager"]),
    ):
        for person in people:
            record_create(
                "allocations",
                actor=admin,
                data={"project": make_project(admin), "user": person, "week": SUNDAY, "hours": "8"},
            )
            away(admin, person, SUNDAY)
        client.get("/projects/board/", {"start": SUNDAY.isoformat()})
        with CaptureQueriesContext(connection) as queries:
            client.get("/projects/board/", {"start": SUNDAY.isoformat()})
        counts.append(len(queries))
    assert counts[0] == counts[1]


def _approve_all(manager):
    entries_approve(
        actor=manager,
        ids=list(TimeEntry.objects.filter(state="submitted").values_list("pk", flat=True)),
    )


def test_utilisation_counts_against_the_capacity_left(users, api_for):
    pm, rep = users["manager"], users["sales_rep"]
    project = make_project(pm)
    record_create("project-members", actor=pm, data={"project": project, "user": rep})
    for day in range(3):
        report(rep, project, SUNDAY + datetime.timedelta(days=2 + day), 8 * 60 + 36)
    report(pm, project, SUNDAY, 8 * 60 + 36)
    # rep1 away Sunday and Monday (sick) — 43 − 17.2 = 25.8 h left, and he reported 25.8.
    away(rep, rep, SUNDAY, SUNDAY + datetime.timedelta(days=1), value="sick")
    rows = {r.user_id: r for r in utilisation(users["admin"], SUNDAY, SATURDAY)}
    assert rows[rep.pk].capacity == Decimal("25.8")
    assert rows[rep.pk].absent_hours == Decimal("17.2")
    assert rows[rep.pk].percent == 100
    assert rows[pm.pk].capacity == Decimal("43.0")
    assert rows[pm.pk].percent == 20
    answer = api_for(users["admin"]).get(
        "/api/v1/time-entries/utilisation/",
        {"date_from": SUNDAY.isoformat(), "date_to": SATURDAY.isoformat()},
    )
    mine = next(row for row in answer.json() if row["user"] == rep.pk)
    assert (mine["capacity_hours"], mine["absent_hours"], mine["percent"]) == (
        "25.80",
        "17.20",
        100,
    )


def test_utilisation_reads_absences_in_one_query_for_few_or_many_people(users, api_for):
    admin = users["admin"]
    project = make_project(admin)
    client = api_for(admin)
    counts = []
    for people in (
        (users["sales_rep"],),
        (users["sales_rep2"], users["support_agent"], users["manager"]),
    ):
        for person in people:
            report(admin, project, SUNDAY, 60, user=person)
            away(admin, person, SUNDAY + datetime.timedelta(days=1))
        params = {"date_from": SUNDAY.isoformat(), "date_to": SATURDAY.isoformat()}
        client.get("/api/v1/time-entries/utilisation/", params)
        with CaptureQueriesContext(connection) as queries:
            answer = client.get("/api/v1/time-entries/utilisation/", params)
        assert all(row["absent_hours"] == "8.60" for row in answer.json())
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_payroll_month_shows_the_days_away_by_kind(users, client_for):
    pm, rep = users["manager"], users["sales_rep"]
    project = make_project(pm)
    record_create("project-members", actor=pm, data={"project": project, "user": rep})
    report(rep, project, SUNDAY + datetime.timedelta(days=3), 8 * 60)
    week_submit(actor=rep, week=SUNDAY)
    _approve_all(pm)
    # Reserve duty Sunday to Saturday counts its five working days; a half day of vacation.
    away(rep, rep, SUNDAY, SATURDAY, value="reserve_duty")
    away(rep, rep, SUNDAY + datetime.timedelta(days=8), half_day=True)
    # rep2 has no hours this month, only a sick day: he is on the payroll all the same.
    away(users["admin"], users["sales_rep2"], SUNDAY + datetime.timedelta(days=9), value="sick")
    rows = {row.employee_id: row for row in payroll_month(users["admin"], SUNDAY)}
    assert rows[rep.pk].absences == {
        kind("reserve_duty").pk: Decimal(5),
        kind("vacation").pk: Decimal("0.5"),
    }
    assert rows[rep.pk].absent_days == Decimal("5.5")
    assert rows[users["sales_rep2"].pk].absences == {kind("sick").pk: Decimal(1)}
    assert rows[users["sales_rep2"].pk].total == 0
    client = client_for(users["admin"])
    page = client.get(reverse("projects_payroll"), {"month": "2026-11"}).content.decode()
    assert "מילואים" in page
    assert "payroll-absence" in page
    text = client.post(
        reverse("projects_payroll_export"), {"month": "2026-11", "format": "csv"}
    ).content.decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    header = lines[0]
    assert header[-3:] == ["חופשה (ימים)", "מחלה (ימים)", "מילואים (ימים)"]
    by_name = {line[0]: line for line in lines[1:]}
    assert by_name[str(rep)][-3:] == ["0.5", "0", "5.0"]

"""The planning board (REQ PR-3): people × weeks, planned hours against the capacity of the
business calendar, over-allocation shown."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kesher.activities.calendar import WorkWeek
from kesher.platform.records.services import record_create
from kesher.projects.selectors import planning_board, week_capacity
from kesher.projects.tests.factories import make_project

pytestmark = pytest.mark.django_db

SUNDAY = datetime.date(2026, 1, 4)


def test_a_weeks_capacity_follows_the_business_calendar():
    """Sunday–Thursday 8:30–17:30 is 45 hours; the week of Pesach 2026 (Thursday 2 April is
    the first day, its eve short) holds less."""
    assert week_capacity(SUNDAY, WorkWeek()) == Decimal("45")
    assert week_capacity(datetime.date(2026, 3, 29), WorkWeek()) < Decimal("45")


def _plan(admin, project, user, week, hours):
    return record_create(
        "allocations",
        actor=admin,
        data={"project": project, "user": user, "week": week, "hours": hours},
    )


def test_the_board_adds_a_persons_weeks_and_shows_over_allocation(users, client_for):
    admin, rep = users["admin"], users["sales_rep"]
    first, second = make_project(rep), make_project(rep)
    _plan(admin, first, rep, SUNDAY, "30")
    _plan(admin, second, rep, SUNDAY, "20")
    _plan(admin, first, rep, SUNDAY + datetime.timedelta(days=7), "10")
    with pytest.raises(ValidationError):
        _plan(admin, first, rep, SUNDAY + datetime.timedelta(days=1), "5")  # not a Sunday
    starts, _capacity, rows = planning_board(admin, SUNDAY)
    assert len(starts) == 12
    [row] = rows
    assert row.cells[0] == {"hours": Decimal("50"), "capacity": Decimal("45"), "over": True}
    assert row.cells[1]["over"] is False
    page = client_for(users["manager"]).get("/projects/board/", {"start": "2026-01-04"})
    assert page.status_code == 200
    assert "table-danger" in page.content.decode()
    # The rep sees his own plan; the other rep sees none of it.
    assert planning_board(users["sales_rep2"], SUNDAY)[2] == []


def test_the_board_takes_the_same_queries_for_few_or_many_people(users, client_for):
    admin = users["admin"]
    client = client_for(admin)
    counts = []
    for people in (
        (users["sales_rep"], users["sales_rep2"]),
        (
            users["support_agent"],
            users["manager"],
            users["read_only"],
        ),
    ):
        for person in people:
            _plan(admin, make_project(admin), person, SUNDAY, "8")
        client.get("/projects/board/", {"start": "2026-01-04"})
        with CaptureQueriesContext(connection) as queries:
            client.get("/projects/board/", {"start": "2026-01-04"})
        counts.append(len(queries))
    assert counts[0] == counts[1]

"""An employee's schedule in his calendar feed (REQ PR-3, OR-6; issue 20 item 3; decision
0122): his planned weeks on the planning board and his absences, as all-day events of his own,
in his language, in a fixed number of queries."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from icalendar import Calendar

from kesher.activities.services import calendar_feed_regenerate
from kesher.platform.models import Choice
from kesher.platform.records.services import record_create
from kesher.projects.services import week_start
from kesher.projects.tests.factories import make_project

pytestmark = pytest.mark.django_db


def _plan(admin, project, user, week, hours):
    return record_create(
        "allocations",
        actor=admin,
        data={"project": project, "user": user, "week": week, "hours": hours},
    )


def _events(client, token):
    response = client.get(f"/activities/ical/{token}.ics")
    assert response.status_code == 200
    return {str(e["summary"]): e for e in Calendar.from_ical(response.content).walk("VEVENT")}


def test_the_feed_holds_the_employees_planned_weeks_and_absences(users, client):
    admin, rep, rep2 = users["admin"], users["sales_rep"], users["sales_rep2"]
    sunday = week_start(timezone.localdate()) + datetime.timedelta(days=7)
    project = make_project(admin, name="הטמעה")
    _plan(admin, project, rep, sunday, "16")
    _plan(admin, project, rep2, sunday, "30")  # another's: not in rep's feed
    reserve = Choice.objects.get(list_key="absence_kind", value="reserve_duty")
    record_create(
        "absences",
        actor=rep,
        data={
            "user": rep,
            "kind": reserve,
            "start_date": sunday + datetime.timedelta(days=1),
            "end_date": sunday + datetime.timedelta(days=2),
        },
    )
    token = calendar_feed_regenerate(actor=rep)
    events = _events(client, token)
    planned = events["▤ הטמעה: 16 שעות מתוכננות השבוע"]
    assert planned["dtstart"].dt == sunday
    assert planned["dtend"].dt == sunday + datetime.timedelta(days=5)
    assert str(planned["transp"]) == "TRANSPARENT"
    away = events["☂ מילואים"]
    assert (away["dtstart"].dt, away["dtend"].dt) == (
        sunday + datetime.timedelta(days=1),
        sunday + datetime.timedelta(days=3),
    )
    assert not any("30" in summary for summary in events)
    # In his language; the same queries for one plan or many.
    rep.language = "en"
    rep.save(update_fields=["language"])
    client.get(f"/activities/ical/{token}.ics")
    with CaptureQueriesContext(connection) as few:
        events = _events(client, token)
    assert "▤ הטמעה: 16 h planned this week" in events
    for weeks_on in range(1, 6):
        _plan(admin, make_project(admin), rep, sunday + datetime.timedelta(days=7 * weeks_on), "8")
    with CaptureQueriesContext(connection) as many:
        events = _events(client, token)
    assert sum(1 for s in events if s.startswith("▤")) == 6
    assert len(many) == len(few)

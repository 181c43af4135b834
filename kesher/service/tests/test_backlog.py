"""The backlog by queue and age (issue 18 item 8): open tickets the reader may see, by team
and by days since opened, one aggregate query; on a page in the service menu and in the API."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from kesher.service.models import Team, Ticket
from kesher.service.selectors import backlog
from kesher.service.services import ticket_update
from kesher.service.tests.factories import choice, make_ticket

pytestmark = pytest.mark.django_db


def _aged(ticket, days: float):
    Ticket.objects.filter(pk=ticket.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=days)
    )


def test_open_tickets_by_team_and_age(users, client_for, api_for, django_assert_max_num_queries):
    agent = users["support_agent"]
    support = Team.objects.create(name_he="תמיכה", name_en="Support")
    field = Team.objects.create(name_he="שטח", name_en="Field")
    for days in (0.1, 0.5, 2, 5, 40):
        _aged(make_ticket(agent, team=support), days)
    _aged(make_ticket(agent, team=field), 10)
    _aged(make_ticket(agent), 1.5)
    done = make_ticket(agent, team=support)
    ticket_update(
        done,
        actor=agent,
        data={"status": choice("ticket_status", "closed"), "resolution": "טופל"},
    )

    backlog(agent)  # the role's grants, read once per request
    with django_assert_max_num_queries(3):
        rows = backlog(agent)
    assert [(r.label, r.total) for r in rows] == [("ללא צוות", 1), ("שטח", 1), ("תמיכה", 5)]
    by_team = {r.team: r.bands for r in rows}
    assert by_team[support.pk] == {"day": 2, "days_3": 1, "week": 1, "month": 0, "older": 1}
    assert by_team[field.pk]["month"] == 1
    assert by_team[None]["days_3"] == 1
    # The sales rep sees none of support's tickets.
    assert backlog(users["sales_rep"]) == []

    page = client_for(agent).get("/service/backlog/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="backlog"' in html
    assert f"?team={support.pk}" in html
    assert "30 ימים ויותר" in html
    assert 'id="nav-backlog"' in html

    data = api_for(agent, "en").get("/api/v1/service/backlog/").json()
    assert data[0]["label"] == "No team"
    assert data[-1]["bands"]["older"] == 1
    assert api_for(users["support_agent"]).post("/api/v1/service/backlog/").status_code == 405


def test_a_ticket_recorded_after_the_request_came_in_is_aged_from_the_request(users):
    """A request taken earlier (a call written up later, the demo's history) is opened then:
    the backlog's bands and the oldest count from that moment, not from the record's INSERT."""
    from kesher.service.services import ticket_create

    agent = users["support_agent"]
    called = timezone.now() - datetime.timedelta(days=10)
    ticket = ticket_create(actor=agent, data={"subject": "התקשר לפני עשרה ימים"}, opened_at=called)
    assert ticket.created_at == called
    [row] = backlog(agent)
    assert row.bands["month"] == 1
    assert row.oldest == called

"""The SLA compliance report (REQ SV-9, RE-4; issue 18 item 8): first response and resolution
met in time by team, ticket type and month, one aggregate query, only visible tickets."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from kesher.service.models import SlaClock, Team
from kesher.service.selectors import sla_report
from kesher.service.services import ticket_record_response
from kesher.service.tests.factories import choice, make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def clocks(users):
    agent = users["support_agent"]
    team = Team.objects.create(name_he="תמיכה")
    support = choice("ticket_type", "technical_support")
    on_time = make_ticket(agent, subject="בזמן", team=team, ticket_type=support)
    ticket_record_response(on_time, actor=agent)
    late = make_ticket(agent, subject="באיחור", team=team, ticket_type=support)
    first = late.sla_clocks.get(kind=SlaClock.Kind.FIRST_RESPONSE)
    SlaClock.objects.filter(pk=first.pk).update(due_at=timezone.now() - datetime.timedelta(hours=1))
    make_ticket(agent, subject="עוד רץ", team=team)  # nothing decided yet
    rep = users["sales_rep"]
    mine = make_ticket(rep, subject="של איש המכירות")
    ticket_record_response(mine, actor=rep)
    return {"team": team, "support": support}


def test_the_report_counts_decided_clocks_by_team_and_type(
    users, clocks, django_assert_max_num_queries
):
    agent = users["support_agent"]
    # The user's rights and scope (read once), the one aggregate, the teams' names: however
    # many tickets and clocks there are.
    with django_assert_max_num_queries(5):
        rows = sla_report(agent, "team")
    team_row = next(r for r in rows if r.key == clocks["team"].pk and r.kind == "first_response")
    assert (team_row.decided, team_row.met, team_row.breached) == (2, 1, 1)
    assert team_row.percent == 50.0
    assert team_row.label == "תמיכה"
    by_type = sla_report(agent, "type")
    type_row = next(r for r in by_type if r.key == clocks["support"].pk)
    assert type_row.decided == 2
    by_month = sla_report(agent, "month")
    assert by_month[0].key == timezone.localdate().strftime("%Y-%m")


def test_a_rep_counts_only_the_tickets_he_may_see(users, clocks, api_for, client_for):
    rep = users["sales_rep"]
    rows = api_for(rep).get("/api/v1/service/sla-report/", {"by": "team"}).json()
    assert sum(r["decided"] for r in rows) == 1
    bad = api_for(rep, "en").get("/api/v1/service/sla-report/", {"by": "nope"})
    assert bad.status_code == 400
    page = client_for(users["support_agent"]).get("/service/sla-report/?by=type")
    assert page.status_code == 200
    assert "50.0%" in page.content.decode()

"""Deal activity in "what my team is doing now" (REQ CU-10): the team's new deals and stage
moves, newest first, of deals the viewer may see only."""

import datetime

import pytest
from django.utils import timezone

from kesher.activities.selectors import team_now
from kesher.sales.models import Opportunity
from kesher.sales.services import opportunity_move_stage
from kesher.sales.tests.factories import make_opportunity, stage

pytestmark = pytest.mark.django_db


def test_the_team_feed_shows_new_deals_and_stage_moves(users, client_for):
    manager, rep, rep2 = users["manager"], users["sales_rep"], users["sales_rep2"]
    moved = make_opportunity(rep, owner=rep, name="עסקה שהתקדמה")
    Opportunity.objects.filter(pk=moved.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=2)
    )
    opportunity_move_stage(Opportunity.objects.get(pk=moved.pk), actor=rep, stage=stage("order"))
    make_opportunity(rep, owner=rep, name="עסקה חדשה")
    make_opportunity(rep2, owner=rep2, name="של מחלקה אחרת")
    old = make_opportunity(rep, owner=rep, name="עסקה ישנה")
    Opportunity.objects.filter(pk=old.pk).update(
        stage_entered_at=timezone.now() - datetime.timedelta(days=30)
    )
    work = team_now(manager, [manager, rep, rep2])["work"]
    assert [(w["label"], w["text"], w["user"]) for w in work] == [
        ("עסקה חדשה", "עסקה חדשה", rep),
        ("עסקה הועברה", "עסקה שהתקדמה → הזמנה", rep),
    ]
    page = client_for(manager).get("/activities/team/").content.decode()
    feed = page[page.index('id="team-work"') :]
    assert "עסקה שהתקדמה" in feed
    assert "של מחלקה אחרת" not in feed

"""The home page's activity cards (issue 14 item 7: each role's home shows real work): the
coming meetings one owns or is invited to, and the interactions one logged or took part in
lately, newest first (REQ CU-3, SA-13)."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kesher.activities.tests.factories import choice, make_interaction
from kesher.customers.tests.factories import make_account

pytestmark = pytest.mark.django_db


def _card(page: str, card_id: str) -> str:
    return re.search(rf'<div class="card h-100" id="{card_id}">.*?</ul>', page, re.S).group(0)


def test_home_shows_my_coming_meetings_and_recent_interactions(users, client_for):
    rep, manager = users["sales_rep"], users["manager"]
    other = users["sales_rep2"]
    account = make_account(rep)
    now, day = timezone.now(), datetime.timedelta(days=1)
    meeting = choice("interaction_kind", "meeting")
    make_interaction(rep, account, kind=meeting, subject="הדגמה ללקוח", occurred_at=now + 2 * day)
    make_interaction(
        manager,
        kind=meeting,
        subject="ישיבת צוות",
        m2m={"participant_users": [rep]},
        occurred_at=now + day,
    )
    make_interaction(rep, kind=meeting, subject="רחוקה מדי", occurred_at=now + 30 * day)
    make_interaction(other, kind=meeting, subject="של מישהו אחר", occurred_at=now + day)
    make_interaction(rep, account, subject="שיחת מעקב", occurred_at=now - day)
    make_interaction(
        manager,
        kind=meeting,
        subject="פגישת היכרות",
        m2m={"participant_users": [rep]},
        occurred_at=now - 2 * day,
    )

    page = client_for(rep).get("/").content.decode()
    meetings = _card(page, "home-meetings")
    # Soonest first; the one booked by a colleague names him.
    assert meetings.index("ישיבת צוות") < meetings.index("הדגמה ללקוח")
    assert str(manager) in meetings
    assert "רחוקה מדי" not in meetings
    assert "של מישהו אחר" not in meetings
    recent = _card(page, "home-interactions")
    assert recent.index("שיחת מעקב") < recent.index("פגישת היכרות")
    assert "הדגמה ללקוח" not in recent  # not yet happened
    assert "ישיבת צוות" not in recent


def test_home_cards_say_when_there_is_nothing(users, client_for):
    page = client_for(users["support_agent"]).get("/").content.decode()
    assert "אין פגישות בשבועיים הקרובים." in _card(page, "home-meetings")
    assert "אין עדיין נתונים." in _card(page, "home-interactions")


def test_the_cards_cost_the_same_queries_whatever_they_show(users, client_for):
    """No query per meeting or interaction shown (STYLE.md: query counts asserted)."""
    rep, manager = users["sales_rep"], users["manager"]
    meeting = choice("interaction_kind", "meeting")
    now, day = timezone.now(), datetime.timedelta(days=1)
    client = client_for(rep)

    def add(n):
        invited = {"participant_users": [rep]}
        make_interaction(
            manager, kind=meeting, subject=f"פגישה {n}", m2m=invited, occurred_at=now + day * n
        )
        make_interaction(rep, subject=f"שיחה {n}", occurred_at=now - day * n)

    add(1)
    client.get("/")
    with CaptureQueriesContext(connection) as one:
        client.get("/")
    for n in range(2, 6):
        add(n)
    with CaptureQueriesContext(connection) as five:
        page = client.get("/").content.decode()
    assert page.count("פגישה ") >= 5
    assert len(five) == len(one)

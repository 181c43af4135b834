""" "My team's tickets" and the articles' votes as columns (issue 18 items 2, 3; decision 0124):
the filter language's "mine" on a link to service teams is the teams the reader is a member
of, resolved for whoever reads when the query runs — a built-in view of the ticket list, a
filter the API takes, and what a saved view may keep; the knowledge base's list shows and
sorts "helpful" / "not helpful" counts with the same queries for 2 articles as for 20.
REQ SV-8, SV-11, CX-8."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from kesher.platform.lists.filterlang import apply_filter
from kesher.platform.lists.savedviews import saved_view_create
from kesher.platform.records.services import record_create
from kesher.platform.registry import registry
from kesher.service.models import Article, Ticket
from kesher.service.services import article_create, article_vote
from kesher.service.tests.factories import make_ticket

pytestmark = pytest.mark.django_db

MY_TEAMS = {"field": "team", "op": "in", "value": "mine"}


@pytest.fixture
def queues(users):
    admin = users["admin"]
    printers = record_create(
        "service-teams",
        actor=admin,
        data={"name_he": "מדפסות"},
        m2m={"members": [users["support_agent"]]},
    )
    billing = record_create(
        "service-teams", actor=admin, data={"name_he": "חיובים"}, m2m={"members": [admin]}
    )
    tickets = {
        "printers": make_ticket(admin, subject="נייר תקוע", team=printers),
        "billing": make_ticket(admin, subject="חשבונית כפולה", team=billing),
        "none": make_ticket(admin, subject="בלי צוות"),
    }
    return printers, billing, tickets


def _subjects(qs):
    return sorted(qs.values_list("subject", flat=True))


def test_mine_is_each_readers_teams_at_query_time(users, queues):
    _printers, billing, _tickets = queues
    entity = registry.get("tickets")
    agent, admin = users["support_agent"], users["admin"]
    mine = apply_filter(Ticket.objects.all(), entity, MY_TEAMS, user=agent)
    assert _subjects(mine) == ["נייר תקוע"]
    assert _subjects(apply_filter(Ticket.objects.all(), entity, MY_TEAMS, user=admin)) == [
        "חשבונית כפולה"
    ]
    # Resolved when the query runs: the agent joins billing, the same filter now reaches it.
    billing.members.add(agent)
    assert _subjects(mine.all()) == ["חשבונית כפולה", "נייר תקוע"]
    # "mine" beside ids, its negation, and eq.
    either = {"field": "team", "op": "in", "value": ["mine", billing.pk]}
    assert _subjects(apply_filter(Ticket.objects.all(), entity, either, user=admin)) == [
        "חשבונית כפולה"
    ]
    others = {"field": "team", "op": "not_in", "value": "mine"}
    assert _subjects(apply_filter(Ticket.objects.all(), entity, others, user=admin)) == [
        "בלי צוות",
        "נייר תקוע",
    ]
    equal = {"field": "team", "op": "eq", "value": "mine"}
    assert _subjects(apply_filter(Ticket.objects.all(), entity, equal, user=admin)) == [
        "חשבונית כפולה"
    ]


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ({"field": "handler", "op": "in", "value": "mine"}, "cannot be used with the field"),
        ({"field": "team", "op": "eq", "value": "ours"}, "must be a record id"),
    ],
)
def test_mine_where_it_means_nothing_is_refused(users, condition, message):
    entity = registry.get("tickets")
    with translation.override("en"), pytest.raises(ValidationError) as error:
        apply_filter(Ticket.objects.all(), entity, condition, user=users["support_agent"])
    assert message in " ".join(error.value.message_dict["filter"])


def test_mine_needs_a_reader(users):
    with pytest.raises(ValidationError):
        apply_filter(Ticket.objects.all(), registry.get("tickets"), MY_TEAMS, user=None)


def test_the_api_takes_the_filter_and_the_built_in_view(users, queues, api_for):
    agent = users["support_agent"]
    api = api_for(agent, "en")
    by_filter = api.get("/api/v1/tickets/", {"filter": json.dumps(MY_TEAMS)}).json()
    by_view = api.get("/api/v1/tickets/", {"view": "my-teams"}).json()
    assert [t["subject"] for t in by_filter["results"]] == ["נייר תקוע"]
    assert [t["subject"] for t in by_view["results"]] == ["נייר תקוע"]
    bad = api.get("/api/v1/tickets/", {"view": "their-teams"})
    assert bad.status_code == 400
    assert bad.json()["view"] == ["No such saved view."]


def test_the_list_offers_the_built_in_view_and_a_saved_view_keeps_mine(users, queues, client_for):
    agent = users["support_agent"]
    client = client_for(agent)
    page = client.get("/r/tickets/").content.decode()
    assert 'id="builtin-view-my-teams"' in page
    assert '["mine", "' in page  # the filter builder offers "my teams" for the team
    mine = client.get("/r/tickets/", {"view": "my-teams"}).content.decode()
    assert "נייר תקוע" in mine
    assert "חשבונית כפולה" not in mine
    assert "בלי צוות" not in mine
    # Saved (shared) by the administrator, each reader gets his own teams' tickets.
    view = saved_view_create(
        actor=users["admin"],
        data={"entity": "tickets", "name": "התור שלי", "shared": True, "filter": MY_TEAMS},
    )
    theirs = client_for(users["admin"]).get("/r/tickets/", {"view": view.pk}).content.decode()
    assert "חשבונית כפולה" in theirs
    assert "נייר תקוע" not in theirs
    # The built-in view costs what the same filter by the team's id costs: the reader's teams
    # are a subquery of the list's own statement.
    printers = queues[0]
    by_id = {
        "all": [
            {"field": "team", "op": "in", "value": [printers.pk]},
            {"field": "resolved_at", "op": "empty"},
        ]
    }
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as plain:
        client.get("/r/tickets/", {"filter": json.dumps(by_id), "sort": "sla_due_at"})
    with CaptureQueriesContext(connection) as builtin:
        client.get("/r/tickets/", {"view": "my-teams"})
    assert len(builtin.captured_queries) == len(plain.captured_queries)


def _published(actor, n):
    return [
        article_create(
            actor=actor,
            data={"title_he": f"מאמר {i:02}", "body_he": "<p>טקסט</p>", "status": "published"},
        )
        for i in range(n)
    ]


def test_the_article_list_shows_and_sorts_the_votes_without_a_query_an_article(
    users, client_for, api_for
):
    agent, manager, admin = users["support_agent"], users["manager"], users["admin"]
    first, second = _published(admin, 2)
    for reader in (agent, manager):
        article_vote(second, helpful=True, user=reader)
    article_vote(first, helpful=False, user=agent)
    article_vote(first, helpful=True, user=agent)  # changed his mind: counted once
    article_vote(first, helpful=False, user=manager)
    counts = dict(Article.objects.values_list("title_he", "helpful_count"))
    assert counts == {"מאמר 00": 1, "מאמר 01": 2}
    assert Article.objects.get(pk=first.pk).not_helpful_count == 1

    rows = api_for(agent, "en").get("/api/v1/kb-articles/", {"ordering": "-helpful_count"})
    listed = [
        (a["title_he"], a["helpful_count"], a["not_helpful_count"]) for a in rows.json()["results"]
    ]
    assert listed == [("מאמר 01", 2, 0), ("מאמר 00", 1, 1)]

    client = client_for(agent)
    page = client.get("/r/kb-articles/", {"sort": "-helpful_count"}).content.decode()
    assert page.index("מאמר 01") < page.index("מאמר 00")
    assert "sort=not_helpful_count" in page  # the header sorts by it

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get("/r/kb-articles/", {"sort": "-helpful_count"})
    many = _published(admin, 18)
    for article in many[:6]:
        article_vote(article, helpful=True, user=manager)
    with CaptureQueriesContext(connection) as more:
        client.get("/r/kb-articles/", {"sort": "-helpful_count"})
    assert len(more.captured_queries) == len(few.captured_queries)


def test_counts_written_before_the_columns_are_counted_by_the_migration(users):
    """What the migration's backfill does, on votes written straight to the table."""
    from django.apps import apps
    from django.db import connection

    from kesher.service.models import ArticleVote

    migration = __import__(
        "kesher.service.migrations.0015_text_replies_and_vote_counts", fromlist=["count_votes"]
    )
    [article] = _published(users["admin"], 1)
    ArticleVote.objects.create(article=article, user=users["manager"], helpful=True)
    ArticleVote.objects.create(article=article, user=users["admin"], helpful=False)
    migration.count_votes(apps, connection.schema_editor())
    article.refresh_from_db()
    assert (article.helpful_count, article.not_helpful_count) == (1, 1)

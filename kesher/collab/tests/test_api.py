"""Working together's API (issue 23 item 4): notes with mentions, following, the feed."""

import pytest

from kesher.activities.models import Notification
from kesher.collab import services
from kesher.collab.models import FeedItem, Follow, Note
from kesher.platform.registry import registry
from kesher.sales.tests.factories import make_opportunity

pytestmark = pytest.mark.django_db

DEALS = "opportunities"


def _notes_url(deal):
    return f"/api/v1/notes/{DEALS}/{deal.pk}/"


def _following_url(deal):
    return f"/api/v1/following/{DEALS}/{deal.pk}/"


def test_a_note_with_a_mention(users, deal, api_for):
    rep1, manager = users["sales_rep"], users["manager"]
    response = api_for(rep1).post(
        _notes_url(deal), {"body": "@manager1 נא לבדוק", "mentions": [manager.pk]}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.data["mentions"] == [{"id": manager.pk, "name": str(manager)}]
    assert response.data["author"] == {"id": rep1.pk, "name": str(rep1)}
    listed = api_for(manager).get(_notes_url(deal))
    assert [n["body"] for n in listed.data] == ["@manager1 נא לבדוק"]
    assert Notification.objects.filter(user=manager, verb="mention").count() == 1


@pytest.mark.parametrize(
    ("language", "expected"),
    [("he", "אינו רשאי לראות"), ("en", "may not see this record")],
)
def test_a_mention_out_of_scope_answers_400_in_the_callers_language(
    users, deal, api_for, language, expected
):
    rep2 = users["sales_rep2"]
    response = api_for(users["sales_rep"], language=language).post(
        _notes_url(deal), {"body": "שלום", "mentions": [rep2.pk]}, format="json"
    )
    assert response.status_code == 400
    assert expected in response.data["mentions"][0]
    assert not Note.objects.exists()
    assert not Notification.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field", "hebrew"),
    [
        ({}, "body", "זהו שדה חובה"),
        ({"body": "   "}, "body", None),
        ({"body": "x", "mentions": "7"}, "mentions", None),
        ({"body": "x", "mentions": ["a"]}, "mentions", None),
        ({"body": "x", "mentions": [999999]}, "mentions", "משתמשים פעילים"),
        ({"body": "x" * (services.BODY_MAX + 1)}, "body", None),
    ],
)
def test_bad_input_answers_a_translated_400_and_writes_nothing(
    users, deal, api_for, payload, field, hebrew
):
    response = api_for(users["sales_rep"]).post(_notes_url(deal), payload, format="json")
    assert response.status_code == 400, response.content
    assert field in response.data
    if hebrew:
        assert hebrew in str(response.data[field])
    assert not Note.objects.exists()
    assert not Notification.objects.exists()


def test_a_record_out_of_scope_is_404_and_without_the_grant_403(users, deal, api_for):
    rep2 = api_for(users["sales_rep2"])
    assert rep2.get(_notes_url(deal)).status_code == 404
    assert rep2.post(_notes_url(deal), {"body": "x"}, format="json").status_code == 404
    assert rep2.post(_following_url(deal)).status_code == 404
    assert rep2.get(_following_url(deal)).status_code == 404
    assert api_for(None).get("/api/v1/feed/").status_code in (401, 403)
    assert not Follow.objects.exists()
    assert not Note.objects.exists()


def test_follow_unfollow_and_followers(users, deal, api_for):
    rep1, manager = users["sales_rep"], users["manager"]
    api = api_for(manager)
    before = api.get(_following_url(deal)).data
    assert before == {"following": False, "followers": [{"id": rep1.pk, "name": str(rep1)}]}
    after = api.post(_following_url(deal)).data
    assert after["following"] is True
    assert {p["id"] for p in after["followers"]} == {rep1.pk, manager.pk}
    assert api.delete(_following_url(deal)).status_code == 204
    assert api.get(_following_url(deal)).data["following"] is False


def test_the_feed_newest_first_in_the_readers_language_and_paged(users, api_for):
    rep1, manager = users["sales_rep"], users["manager"]
    deals = registry.get(DEALS)
    for n in range(30):
        deal = make_opportunity(rep1, name=f"עסקה {n}")
        services.note_create(actor=manager, entity=deals, record=deal, body=f"הערה {n}")
    english = api_for(rep1, language="en").get("/api/v1/feed/")
    assert english.status_code == 200
    results = english.data["results"]
    assert len(results) == 25
    assert results[0]["note"]["body"] == "הערה 29"
    assert results[0]["text"] == f"{manager} wrote a note on עסקה 29"
    assert results[0]["url"] == f"/r/{DEALS}/{results[0]['record_id']}/"
    hebrew = api_for(rep1, language="he").get("/api/v1/feed/")
    assert "הערה חדשה" in hebrew.data["results"][0]["text"]
    following = api_for(rep1).get(english.data["next"])
    assert [r["note"]["body"] for r in following.data["results"]] == [
        f"הערה {n}" for n in range(4, -1, -1)
    ]
    assert following.data["next"] is None
    bad = api_for(rep1, language="en").get("/api/v1/feed/?cursor=nonsense")
    assert bad.status_code == 400
    assert "cursor" in bad.data


def test_unfollow_through_the_api_empties_the_feed_of_it(users, deal, api_for):
    rep1, manager = users["sales_rep"], users["manager"]
    services.note_create(actor=manager, entity=registry.get(DEALS), record=deal, body="?")
    assert FeedItem.objects.filter(user=rep1).count() == 1
    api_for(rep1).delete(_following_url(deal))
    assert api_for(rep1).get("/api/v1/feed/").data["results"] == []


def test_the_schema_documents_the_collaboration_api(api_schema):
    schema = api_schema()
    paths = schema["paths"]
    assert "/api/v1/feed/" in paths
    notes = paths["/api/v1/notes/{key}/{id}/"]
    assert notes["post"]["requestBody"]["content"]["application/json"]["examples"]
    assert "400" in notes["post"]["responses"]
    assert set(paths["/api/v1/following/{key}/{id}/"]) >= {"get", "post", "delete"}

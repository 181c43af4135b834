"""Working together on the pages (issue 23 item 4): the follow button on every record page,
the note box and its mention picker, the feed."""

import pytest

from kesher.collab import services
from kesher.collab.models import Follow, Note
from kesher.customers.tests.factories import make_account
from kesher.platform.registry import registry
from kesher.sales.tests.factories import make_opportunity

pytestmark = pytest.mark.django_db

DEALS = "opportunities"


def test_every_record_page_has_the_follow_button_and_the_note_box(users, deal, client_for):
    account = make_account(users["sales_rep"], name="לקוח")
    client = client_for(users["sales_rep"])
    for key, record in ((DEALS, deal), ("accounts", account)):
        page = client.get(f"/r/{key}/{record.pk}/").content.decode()
        assert 'id="follow-record"' in page
        assert 'id="note-form"' in page
        # The owner follows his record.
        assert 'aria-pressed="true"' in page


def test_follow_and_unfollow_from_the_page(users, deal, client_for):
    manager = users["manager"]
    client = client_for(manager)
    url = f"/collab/{DEALS}/{deal.pk}/follow/"
    answer = client.post(url, {"action": "follow"}, HTTP_HX_REQUEST="true")
    assert 'aria-pressed="true"' in answer.content.decode()
    assert Follow.objects.get(user=manager).following
    client.post(url, {"action": "unfollow"})
    assert not Follow.objects.get(user=manager).following
    assert client.get(f"/collab/{DEALS}/{deal.pk}/followers/").status_code == 200


def test_the_mention_picker_offers_only_people_who_may_see_the_record(users, deal, client_for):
    client = client_for(users["sales_rep"])
    found = client.get(f"/collab/{DEALS}/{deal.pk}/mention/", {"q": "man"}).content.decode()
    assert "manager1" in found
    refused = client.get(f"/collab/{DEALS}/{deal.pk}/mention/", {"q": "rep2"}).content.decode()
    assert "rep2" not in refused
    # Nobody learns of a record out of his scope through the picker.
    other = client_for(users["sales_rep2"]).get(f"/collab/{DEALS}/{deal.pk}/mention/?q=man")
    assert other.status_code == 404


def test_a_note_from_the_page_and_a_refused_mention(users, deal, client_for):
    client = client_for(users["sales_rep"])
    url = f"/collab/{DEALS}/{deal.pk}/notes/"
    refused = client.post(
        url, {"body": "תראה", "mentions": [users["sales_rep2"].pk]}, HTTP_HX_REQUEST="true"
    )
    assert "may not see" in refused.content.decode() or "אינו רשאי" in refused.content.decode()
    assert not Note.objects.exists()
    assert client.post(url, {"body": "", "mentions": []}).status_code == 400
    saved = client.post(url, {"body": "שלום", "mentions": [users["manager"].pk]})
    assert saved.status_code == 302
    assert Note.objects.get().mentions.get() == users["manager"]
    timeline = client.get(f"/r/{DEALS}/{deal.pk}/timeline/").content.decode()
    assert "שלום" in timeline
    assert "manager1" in timeline


def test_hostile_text_is_escaped_on_the_timeline_and_in_the_feed(users, deal, client_for):
    hostile = "<script>alert(1)</script>"
    services.note_create(
        actor=users["manager"], entity=registry.get(DEALS), record=deal, body=hostile
    )
    client = client_for(users["sales_rep"])
    for url in (f"/r/{DEALS}/{deal.pk}/timeline/", "/collab/feed/", "/activities/notifications/"):
        page = client.get(url).content.decode()
        assert hostile not in page, url
        assert "&lt;script&gt;" in page, url


def test_the_feed_page_and_unfollowing_from_it(users, deal, client_for):
    services.note_create(
        actor=users["manager"], entity=registry.get(DEALS), record=deal, body="שאלה לנציג"
    )
    client = client_for(users["sales_rep"])
    page = client.get("/collab/feed/").content.decode()
    assert "שאלה לנציג" in page
    assert f"/r/{DEALS}/{deal.pk}/" in page
    answer = client.post(
        f"/collab/{DEALS}/{deal.pk}/follow/", {"action": "unfollow", "next": "feed"}
    )
    assert answer.status_code == 302
    assert answer["Location"] == "/collab/feed/"
    assert "שאלה לנציג" not in client.get("/collab/feed/").content.decode()


def test_the_feed_names_no_record_out_of_the_readers_scope(users, client_for):
    """A deal the reader followed went to a rep of another department: neither the feed nor
    its notifications page name it after."""
    rep1, rep2, manager = users["sales_rep"], users["sales_rep2"], users["manager"]
    deal = make_opportunity(rep1, name="Secret Deal Zeta")
    services.note_create(actor=manager, entity=registry.get(DEALS), record=deal, body="x")
    from kesher.sales.services import opportunity_update

    opportunity_update(deal, actor=users["admin"], data={"owner": rep2})
    page = client_for(rep1).get("/collab/feed/").content.decode()
    assert "Secret Deal Zeta" not in page
    api = client_for(rep1).get("/api/v1/feed/").content.decode()
    assert "Secret Deal Zeta" not in api


def test_the_feed_page_keeps_its_queries_flat(users, client_for, django_assert_max_num_queries):
    rep1, manager = users["sales_rep"], users["manager"]
    deals = registry.get(DEALS)
    client = client_for(rep1)

    def notes(n):
        for i in range(n):
            deal = make_opportunity(rep1, name=f"עסקה {i}")
            services.note_create(
                actor=manager, entity=deals, record=deal, body="?", mentions=[rep1.pk]
            )

    notes(3)
    client.get("/collab/feed/")
    with django_assert_max_num_queries(40) as few:
        client.get("/collab/feed/")
    notes(30)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/collab/feed/").status_code == 200

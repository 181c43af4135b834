"""Working together's services (issue 23 item 4; seed 003: "things fall between the chairs"):
following, notes with mentions, what followers hear of changes, and the feed."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from kesher.activities.models import Notification
from kesher.collab import selectors, services
from kesher.collab.models import FeedItem, Follow, Note
from kesher.platform.events import Event
from kesher.platform.registry import registry
from kesher.sales.services import opportunity_move_stage, opportunity_update
from kesher.sales.tests.factories import make_opportunity, stage

pytestmark = pytest.mark.django_db

DEALS = "opportunities"


@pytest.fixture
def deals():
    return registry.get(DEALS)


def _notes_of(user, verb):
    return list(Notification.objects.filter(user=user, verb=verb))


def test_the_owner_follows_his_record_and_may_stop(users, deal, deals):
    rep1, manager = users["sales_rep"], users["manager"]
    assert selectors.is_following(rep1, deals, deal)
    assert not selectors.is_following(manager, deals, deal)
    services.unfollow(actor=rep1, entity=deals, record_id=deal.pk)
    assert not selectors.is_following(rep1, deals, deal)
    services.follow(actor=manager, entity=deals, record=deal)
    assert [u.pk for u in selectors.followers_of(deals, deal)] == [manager.pk]


def test_an_owner_who_turned_it_off_does_not_follow_his_records(users, deal, deals):
    rep1 = users["sales_rep"]
    services.follow_settings_set(actor=rep1, follow_owned=False, follow_mentioned=True)
    assert not selectors.is_following(rep1, deals, deal)


def test_no_one_follows_a_record_he_may_not_see(users, deal, deals):
    with pytest.raises(ValidationError):
        services.follow(actor=users["sales_rep2"], entity=deals, record=deal)
    assert not Follow.objects.exists()


def test_followers_hear_of_a_change_by_someone_else_not_of_their_own(users, deal, deals, commits):
    """The owner hears of his manager's stage change; the manager, following, of the owner's
    change; neither of his own."""
    rep1, manager = users["sales_rep"], users["manager"]
    services.follow(actor=manager, entity=deals, record=deal)
    with commits():
        opportunity_move_stage(deal, actor=manager, stage=stage("proposal"))
    assert FeedItem.objects.filter(user=rep1, kind="change").count() == 1
    assert not FeedItem.objects.filter(user=manager).exists()
    assert len(_notes_of(rep1, Notification.Verb.FOLLOWING)) == 1
    with commits():
        opportunity_update(deal, actor=rep1, data={"name": "עסקה גדולה"})
    assert FeedItem.objects.filter(user=manager, kind="change").count() == 1
    assert FeedItem.objects.filter(user=rep1).count() == 1


def test_a_changes_news_reads_neither_the_record_nor_its_author_again(
    users, deal, deals, commits, django_assert_num_queries
):
    """What a follower hears of a change: the followers, the change's audit entry with its
    author, who may read it (the schema stamps read outside a request); then the feed item
    and the notification, in a transaction of their own (a savepoint in the test's)."""
    rep1, manager = users["sales_rep"], users["manager"]
    with commits():
        opportunity_move_stage(deal, actor=manager, stage=stage("proposal"))
    event = Event("updated", DEALS, deal.pk, manager.pk, {"stage": ["a", "b"]})
    with django_assert_num_queries(12):
        services.record_changed(event)
    assert FeedItem.objects.filter(user=rep1, kind="change").count() == 2


def test_a_change_is_told_in_the_followers_language(users, deal, commits):
    rep1, manager = users["sales_rep"], users["manager"]
    with commits():
        opportunity_move_stage(deal, actor=manager, stage=stage("proposal"))
    (told,) = _notes_of(rep1, Notification.Verb.FOLLOWING)
    with translation.override("en"):
        english = told.display_text
    with translation.override("he"):
        hebrew = told.display_text
    assert english == f"{manager} changed stage (opportunity)"
    assert "שינוי מאת" in hebrew
    assert "changed" not in hebrew
    # No record's name: the notification stays after its reader may lose sight of the record.
    assert deal.name not in english
    # The feed shows the stage's old and new names, for its reader.
    with translation.override("en"):
        (entry,) = selectors.feed_page(rep1).entries
        proposal = str(stage("proposal"))
    assert entry.kind == "change"
    assert entry.record.pk == deal.pk
    assert [(label, new) for label, _old, new in entry.rows] == [("stage", proposal)]


def test_no_news_of_a_record_the_follower_may_no_longer_see(users, deals, commits):
    """The manager followed a deal of his department; it moved to rep2 (another department):
    he hears nothing of it any more, and his feed no longer shows what he heard before."""
    rep1, rep2, manager = users["sales_rep"], users["sales_rep2"], users["manager"]
    deal = make_opportunity(rep1, name="עסקה שעוברת")
    services.follow(actor=manager, entity=deals, record=deal)
    with commits():
        opportunity_update(deal, actor=rep1, data={"name": "עסקה שעברה"})
    assert len(selectors.feed_page(manager).entries) == 1
    with commits():
        opportunity_update(deal, actor=users["admin"], data={"owner": rep2})
    with commits():
        opportunity_update(deal, actor=rep2, data={"name": "סוד של נציג אחר"})
    # Neither the move (told after it, when he no longer sees the deal) nor what followed.
    assert FeedItem.objects.filter(user=manager).count() == 1
    assert FeedItem.objects.filter(user=rep2).count() == 1  # the deal's new owner
    assert selectors.feed_page(manager).entries == []
    texts = [n.display_text for n in Notification.objects.filter(user=manager)]
    assert not any("סוד של נציג אחר" in text for text in texts)


def test_a_note_mentions_a_colleague_who_hears_of_it_and_follows(users, deal, deals):
    rep1, manager = users["sales_rep"], users["manager"]
    manager.language = "en"
    manager.save(update_fields=["language"])
    note = services.note_create(
        actor=rep1, entity=deals, record=deal, body="@manager1 נא לאשר הנחה", mentions=[manager.pk]
    )
    assert list(note.mentions.all()) == [manager]
    (told,) = _notes_of(manager, Notification.Verb.MENTION)
    with translation.override(manager.language):
        assert told.display_text == f"{rep1} mentioned you (opportunity): @manager1 נא לאשר הנחה"
    assert told.link_type == DEALS
    assert told.link_id == deal.pk
    assert selectors.is_following(manager, deals, deal)
    # In his feed, not in the author's.
    (entry,) = selectors.feed_page(manager).entries
    assert entry.kind == "note"
    assert entry.note.pk == note.pk
    assert selectors.feed_page(rep1).entries == []


def test_a_mention_of_someone_who_may_not_see_the_record_is_refused(users, deal, deals):
    """Decision 0081: refused, with nothing written, naming only the colleague."""
    rep1, rep2 = users["sales_rep"], users["sales_rep2"]
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        services.note_create(actor=rep1, entity=deals, record=deal, body="ראה", mentions=[rep2.pk])
    assert refused.value.message_dict["mentions"] == [
        f"{rep2} may not see this record: mention only people who can."
    ]
    assert not Note.objects.exists()
    assert not Notification.objects.exists()
    assert not Follow.objects.exists()
    assert not FeedItem.objects.exists()


@pytest.mark.parametrize(
    ("body", "mentions", "field"),
    [
        ("", None, "body"),
        ("   \x00 ", None, "body"),
        ("x" * (services.BODY_MAX + 1), None, "body"),
        (None, None, "body"),
        ("ok", "7", "mentions"),
        ("ok", [True], "mentions"),
        ("ok", [999999], "mentions"),
    ],
)
def test_bad_notes_are_refused_and_write_nothing(users, deal, deals, body, mentions, field):
    with pytest.raises(ValidationError) as refused:
        services.note_create(
            actor=users["sales_rep"], entity=deals, record=deal, body=body, mentions=mentions
        )
    assert field in refused.value.message_dict
    assert not Note.objects.exists()


def test_an_inactive_user_cannot_be_mentioned(users, deal, deals):
    with pytest.raises(ValidationError):
        services.note_create(
            actor=users["sales_rep"],
            entity=deals,
            record=deal,
            body="שלום",
            mentions=[users["inactive"].pk],
        )


def test_hostile_text_is_kept_as_text(users, deal, deals):
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    note = services.note_create(actor=users["sales_rep"], entity=deals, record=deal, body=hostile)
    assert note.body == hostile


def test_followers_hear_of_a_note_and_the_mentioned_only_once(users, deal, deals):
    rep1, manager, admin = users["sales_rep"], users["manager"], users["admin"]
    services.follow(actor=manager, entity=deals, record=deal)
    services.note_create(
        actor=admin, entity=deals, record=deal, body="עדכון", mentions=[manager.pk]
    )
    assert len(_notes_of(rep1, Notification.Verb.FOLLOWING)) == 1
    assert len(_notes_of(manager, Notification.Verb.MENTION)) == 1
    assert not _notes_of(manager, Notification.Verb.FOLLOWING)
    assert not Notification.objects.filter(user=admin).exists()


def test_unfollowing_drops_the_records_lines_from_the_feed(users, deal, deals):
    rep1, manager = users["sales_rep"], users["manager"]
    services.note_create(actor=manager, entity=deals, record=deal, body="שאלה")
    assert len(selectors.feed_page(rep1).entries) == 1
    services.unfollow(actor=rep1, entity=deals, record_id=deal.pk)
    assert selectors.feed_page(rep1).entries == []
    services.note_create(actor=manager, entity=deals, record=deal, body="עוד שאלה")
    assert selectors.feed_page(rep1).entries == []


def test_the_feed_is_keyset_paged_newest_first(users, deals):
    rep1, manager = users["sales_rep"], users["manager"]
    for n in range(7):
        deal = make_opportunity(rep1, name=f"עסקה {n}")
        services.note_create(actor=manager, entity=deals, record=deal, body=f"הערה {n}")
    first = selectors.feed_page(rep1, size=3)
    assert [e.note.body for e in first.entries] == ["הערה 6", "הערה 5", "הערה 4"]
    second = selectors.feed_page(rep1, first.next_cursor, size=3)
    assert [e.note.body for e in second.entries] == ["הערה 3", "הערה 2", "הערה 1"]
    third = selectors.feed_page(rep1, second.next_cursor, size=3)
    assert [e.note.body for e in third.entries] == ["הערה 0"]
    assert third.next_cursor == ""


def test_the_feed_skips_lines_out_of_scope_and_still_fills_its_page(users, deals):
    rep1, rep2, manager = users["sales_rep"], users["sales_rep2"], users["manager"]
    kept = make_opportunity(rep1, name="נשארת")
    services.note_create(actor=manager, entity=deals, record=kept, body="ישנה")
    moved = []
    for n in range(4):
        deal = make_opportunity(rep1, name=f"עוברת {n}")
        services.note_create(actor=manager, entity=deals, record=deal, body=f"חדשה {n}")
        moved.append(deal)
    for deal in moved:
        opportunity_update(deal, actor=users["admin"], data={"owner": rep2})
    page = selectors.feed_page(rep1, size=2)
    assert [e.note.body for e in page.entries] == ["ישנה"]
    assert page.next_cursor == ""


def test_the_feeds_queries_do_not_grow_with_its_lines(users, deals, django_assert_max_num_queries):
    rep1, manager = users["sales_rep"], users["manager"]

    def lines(n):
        for i in range(n):
            deal = make_opportunity(rep1, name=f"עסקה {i}")
            services.note_create(
                actor=manager, entity=deals, record=deal, body="הערה", mentions=[rep1.pk]
            )
            opportunity_move_stage(deal, actor=manager, stage=stage("proposal"))
            services.record_changed(
                Event(name="updated", entity=DEALS, object_id=deal.pk, actor_id=manager.pk)
            )

    lines(2)
    with django_assert_max_num_queries(12) as few:
        assert len(selectors.feed_page(rep1).entries) == 4
    lines(12)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(selectors.feed_page(rep1).entries) == 25

"""Domain events: delivered only after the writing transaction commits, with the changed
fields; a failing subscriber never undoes the write (STYLE.md "events sent on commit", REQ AU-1)."""

import pytest
from django.db import transaction

from kesher.customers.models import Account
from kesher.customers.services import account_update
from kesher.customers.tests.factories import make_account
from kesher.platform import events
from kesher.platform.records.services import record_delete

pytestmark = pytest.mark.django_db


@pytest.fixture
def received():
    """Events delivered to a subscriber of every event name, in order."""
    delivered: list[events.Event] = []
    events.subscribe("*", delivered.append)
    yield delivered
    events.unsubscribe("*", delivered.append)


def test_create_update_delete_are_delivered_after_commit_with_changes(
    users, received, django_capture_on_commit_callbacks
):
    admin = users["admin"]
    with django_capture_on_commit_callbacks(execute=True):
        account = make_account(admin, name="Acme", city="חיפה")
        # Nothing is delivered while the transaction is still open.
        assert received == []
    with django_capture_on_commit_callbacks(execute=True):
        account_update(account, actor=users["manager"], data={"city": "אילת", "name": "Acme"})
    with django_capture_on_commit_callbacks(execute=True):
        account_update(account, actor=admin, data={"city": "אילת"})  # no change: no event
    pk = account.pk
    with django_capture_on_commit_callbacks(execute=True):
        record_delete(account, actor=admin)

    assert [(e.name, e.entity, e.object_id) for e in received] == [
        ("created", "accounts", pk),
        ("updated", "accounts", pk),
        ("deleted", "accounts", pk),
    ]
    created, updated, _deleted = received
    assert created.actor_id == admin.pk
    assert created.changes["name"] == [None, "Acme"]
    assert updated.actor_id == users["manager"].pk
    assert updated.changes == {"city": ["חיפה", "אילת"]}


def test_nothing_is_delivered_when_the_transaction_rolls_back(
    users, received, django_capture_on_commit_callbacks
):
    class Abort(Exception):
        pass

    def create_then_fail():
        with transaction.atomic():
            make_account(users["admin"], name="Ghost")
            raise Abort

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(Abort):
        create_then_fail()
    assert callbacks == []
    assert received == []
    assert not Account.objects.filter(name="Ghost").exists()


def test_subscriber_by_name_gets_only_its_events(users, django_capture_on_commit_callbacks):
    updates: list[events.Event] = []
    events.subscribe(events.UPDATED, updates.append)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            account = make_account(users["admin"], city="חיפה")
            account_update(account, actor=users["admin"], data={"city": "לוד"})
    finally:
        events.unsubscribe(events.UPDATED, updates.append)
    assert [(e.name, e.changes) for e in updates] == [("updated", {"city": ["חיפה", "לוד"]})]


def test_failing_subscriber_does_not_break_the_write_or_other_subscribers(
    users, received, django_capture_on_commit_callbacks, caplog
):
    def broken(event):
        raise RuntimeError("subscriber bug")

    events.subscribe(events.CREATED, broken)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            account = make_account(users["admin"], name="Sturdy")
    finally:
        events.unsubscribe(events.CREATED, broken)
    assert Account.objects.filter(pk=account.pk, name="Sturdy").exists()
    assert [e.name for e in received] == ["created"]
    assert "subscriber bug" in caplog.text


def test_a_commits_subscribers_read_the_schema_stamps_once_between_them(
    users, django_capture_on_commit_callbacks
):
    """Outside a request (the worker, a command) each subscriber reading a per-process cache
    would read the stamps again; the delivery reads them once for all. Within a request the
    request's reading serves."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kesher.platform import stamps

    def reads_a_cache(_event):
        stamps.cached(stamps.FIELDS, "test_events", dict)

    def stamp_reads_delivering(city: str) -> int:
        with django_capture_on_commit_callbacks() as delivery:
            account_update(account, actor=users["admin"], data={"city": city})
        with CaptureQueriesContext(connection) as captured:
            for deliver in delivery:
                deliver()
        return sum("platform_schemastamp" in q["sql"] for q in captured.captured_queries)

    account = make_account(users["admin"], name="Acme")
    events.subscribe("updated", reads_a_cache)
    events.subscribe("*", reads_a_cache)
    try:
        assert stamp_reads_delivering("אילת") == 1
        with stamps.remembered_for_request():
            stamps.cached(stamps.FIELDS, "test_events", dict)  # the request's own reading
            assert stamp_reads_delivering("חיפה") == 0
    finally:
        events.unsubscribe("updated", reads_a_cache)
        events.unsubscribe("*", reads_a_cache)


def test_a_failing_subscriber_is_rolled_back_alone(
    users, received, django_capture_on_commit_callbacks, caplog
):
    """The subscribers of a commit write in one transaction, each in a savepoint of its own
    (decision 0096): one that wrote and then failed leaves nothing, nor what it asked to run
    after commit; the others' writes and the user's stay."""
    admin = users["admin"]
    after_commit: list[str] = []
    first: list[int] = []

    def writes_then_fails(event):
        if event.entity != "accounts" or event.object_id != first[0]:
            return
        Account.objects.filter(pk=event.object_id).update(city="חצי")
        transaction.on_commit(lambda: after_commit.append("the failed one's"))
        raise RuntimeError("subscriber bug")

    def writes(event):
        if event.entity == "accounts" and event.object_id == first[0]:
            Account.objects.filter(pk=event.object_id).update(name="Followed up")
            transaction.on_commit(lambda: after_commit.append("the good one's"))

    events.subscribe(events.CREATED, writes_then_fails)
    events.subscribe(events.CREATED, writes)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            first.append(make_account(admin, name="Sturdy", city="חיפה").pk)
    finally:
        events.unsubscribe(events.CREATED, writes_then_fails)
        events.unsubscribe(events.CREATED, writes)
    assert Account.objects.filter(pk=first[0]).values_list("name", "city").get() == (
        "Followed up",
        "חיפה",
    )
    assert after_commit == ["the good one's"]
    assert "subscriber bug" in caplog.text


def test_subscribers_that_send_nothing_cost_no_statement(users, django_capture_on_commit_callbacks):
    """The delivery's savepoints are made only before a subscriber's first statement: a save
    that no subscriber acts on (no rule, no follower, no webhook) costs none (decision 0096)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kesher.platform import stamps

    seen: list[int] = []

    def counts(event):
        seen.append(event.object_id)

    def deliver_one(account) -> list[str]:
        with django_capture_on_commit_callbacks() as delivery:
            events.emit(events.Event(events.CREATED, "accounts", account.pk, None))
        with CaptureQueriesContext(connection) as captured:
            for deliver in delivery:
                deliver()
        return [q["sql"] for q in captured.captured_queries]

    account = make_account(users["admin"], name="Acme")
    events.subscribe("*", counts)
    try:
        with stamps.remembered_for_request():  # as in a request: the stamps are read once
            deliver_one(account)  # the subscribers' per-process caches are filled
            assert deliver_one(account) == []
    finally:
        events.unsubscribe("*", counts)
    assert seen == [account.pk, account.pk]


@pytest.mark.django_db(transaction=True)
def test_a_commits_subscribers_write_in_one_transaction(users):
    """After the user's commit, every subscriber of its events runs inside one transaction:
    their writes commit once together (a deal's move: two commits, not three)."""
    from django.db import connection

    admin = users["admin"]
    seen: list[tuple[bool, int]] = []

    def writes(event):
        if event.name == "created" and event.entity == "accounts":
            seen.append((connection.in_atomic_block, len(connection.savepoint_ids)))
            Account.objects.filter(pk=event.object_id).update(city="נתניה")

    events.subscribe(events.CREATED, writes)
    events.subscribe("*", writes)
    try:
        account = make_account(admin, name="Acme")
    finally:
        events.unsubscribe(events.CREATED, writes)
        events.unsubscribe("*", writes)
    assert seen == [(True, 0), (True, 0)]
    account.refresh_from_db()
    assert account.city == "נתניה"

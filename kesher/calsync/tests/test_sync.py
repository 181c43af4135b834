"""Two-way calendar sync against a real local Radicale (decision 0110): create, change and delete
on each side, a conflict, an expired token, a provider's 5xx and 429 — nothing duplicated or
lost — the administrator's policy, and the practice environment."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection as db_connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from icalendar import Calendar, Event

from kesher.activities.models import Interaction
from kesher.activities.services import interaction_create, interaction_update
from kesher.calsync.models import CalendarConnection, SyncedEvent, SyncPolicy
from kesher.calsync.secrets import decrypt
from kesher.calsync.services import (
    SETTLE,
    connection_save,
    connection_test,
    meeting_changed,
    policy_update,
    sync_due,
)
from kesher.calsync.sync import ProviderError, sync_connection
from kesher.calsync.tests.conftest import PASSWORD
from kesher.customers.services import account_create
from kesher.platform import stamps
from kesher.platform.events import Event as PlatformEvent
from kesher.platform.models import Choice
from kesher.platform.records.services import record_delete

pytestmark = pytest.mark.django_db


@pytest.fixture
def rep(users):
    return users["sales_rep"]


@pytest.fixture
def connection(rep, device_calendar, caldav_server):
    connection = connection_save(
        actor=rep, data={"url": caldav_server.url, "username": "rep", "password": PASSWORD}
    )
    connection.calendar_url = str(device_calendar.url)
    connection.save()
    return connection


def _meeting(actor, owner, subject="Visit", when=None, **extra):
    return interaction_create(
        actor=actor,
        data={
            "kind": Choice.objects.get(list_key="interaction_kind", value="meeting"),
            "subject": subject,
            "occurred_at": when or _whole(timezone.now() + datetime.timedelta(days=1)),
            "duration_minutes": 45,
            "owner": owner,
            **extra,
        },
    )


def _whole(moment):
    return moment.replace(microsecond=0)


def _events(calendar) -> dict[str, Event]:
    found = {}
    for obj in calendar.events():
        event = Calendar.from_ical(obj.data).walk("VEVENT")[0]
        found[str(event["uid"])] = event
    return found


def _device_event(uid, subject, start, minutes=30, modified=None):
    cal = Calendar()
    cal.add("prodid", "-//phone//")
    cal.add("version", "2.0")
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", modified or timezone.now())
    event.add("last-modified", modified or timezone.now())
    event.add("dtstart", start)
    event.add("dtend", start + datetime.timedelta(minutes=minutes))
    event.add("summary", subject)
    cal.add_component(event)
    return cal.to_ical().decode()


def _sync(connection):
    connection.refresh_from_db()
    return sync_connection(connection)


def test_booked_by_the_back_office_reaches_the_rep_then_changes_and_deletion_follow(
    users, rep, connection, device_calendar, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        meeting = _meeting(users["manager"], rep, body="Private notes")
    connection.refresh_from_db()
    # Booked: the rep's calendar is due within the pause, and the tick runs it.
    assert connection.due_at <= timezone.now() + SETTLE
    assert sync_due(timezone.now() + SETTLE) == 1
    events = _events(device_calendar)
    event = events[f"interaction-{meeting.pk}@127.0.0.1:8000"]
    assert str(event["summary"]) == "Visit"
    assert "description" not in event  # the policy keeps notes off devices
    assert event.decoded("dtstart") == meeting.occurred_at

    interaction_update(meeting, actor=users["manager"], data={"subject": "Visit, moved"})
    assert _sync(connection).sent == 1
    assert [str(e["summary"]) for e in _events(device_calendar).values()] == ["Visit, moved"]
    assert _sync(connection).sent == 0  # nothing changed: nothing sent

    record_delete(Interaction.objects.get(pk=meeting.pk), actor=users["manager"])
    assert _sync(connection).deleted == 1
    assert _events(device_calendar) == {}
    assert not SyncedEvent.objects.filter(connection=connection).exists()


def test_made_changed_and_deleted_on_the_device(users, connection, device_calendar):
    rep = users["admin"]  # one who may delete meetings
    connection.user = rep
    connection.save()
    start = (timezone.now() + datetime.timedelta(days=2)).replace(microsecond=0)
    device_calendar.save_event(_device_event("phone-1", "Coffee with Dana", start, 30))
    assert _sync(connection).received == 1
    meeting = Interaction.objects.get(subject="Coffee with Dana")
    assert (meeting.owner, meeting.occurred_at, meeting.duration_minutes) == (rep, start, 30)
    assert meeting.kind.value == "meeting"
    assert _sync(connection).received == 0  # its own event is not taken twice
    assert len(_events(device_calendar)) == 1

    obj = device_calendar.event_by_uid("phone-1")
    obj.data = _device_event("phone-1", "Coffee with Dana and Avi", start, 60)
    obj.save()
    assert _sync(connection).received == 1
    meeting.refresh_from_db()
    assert (meeting.subject, meeting.duration_minutes) == ("Coffee with Dana and Avi", 60)

    device_calendar.event_by_uid("phone-1").delete()
    assert _sync(connection).removed == 1
    assert not Interaction.objects.filter(pk=meeting.pk).exists()
    assert Interaction.objects.filter(subject__startswith="Coffee").count() == 0


def test_deleted_on_the_device_by_an_attendee_or_one_who_may_not_delete_it(
    users, rep, connection, device_calendar
):
    kept = _meeting(rep, rep, subject="Kept")  # a rep's role may not delete meetings
    attended = _meeting(users["manager"], users["manager"], subject="Attended")
    attended.participant_users.add(rep)
    _sync(connection)
    for meeting in (kept, attended):
        device_calendar.event_by_uid(f"interaction-{meeting.pk}@127.0.0.1:8000").delete()
    result = _sync(connection)
    assert (result.removed, result.sent) == (2, 0)  # neither is sent again...
    assert _sync(connection).sent == 0
    assert Interaction.objects.filter(pk__in=[kept.pk, attended.pk]).count() == 2  # ...nor lost
    assert not attended.participant_users.filter(pk=rep.pk).exists()  # he left it
    assert _events(device_calendar) == {}


def test_a_conflict_goes_to_the_later_change(users, rep, connection, device_calendar):
    meeting = _meeting(rep, rep, subject="Demo")
    _sync(connection)
    uid = f"interaction-{meeting.pk}@127.0.0.1:8000"
    start = meeting.occurred_at
    # The device's change is older than Kesher's: Kesher's wins and goes back to the device.
    earlier = timezone.now() - datetime.timedelta(minutes=5)
    obj = device_calendar.event_by_uid(uid)
    obj.data = _device_event(uid, "Demo (phone)", start, modified=earlier)
    obj.save()
    meeting = interaction_update(meeting, actor=rep, data={"subject": "Demo (Kesher)"})
    _sync(connection)
    meeting.refresh_from_db()
    assert meeting.subject == "Demo (Kesher)"
    assert str(_events(device_calendar)[uid]["summary"]) == "Demo (Kesher)"
    # Kesher changed first, the device later: the device's wins.
    meeting = interaction_update(meeting, actor=rep, data={"subject": "Demo (Kesher 2)"})
    later = timezone.now() + datetime.timedelta(minutes=5)
    obj = device_calendar.event_by_uid(uid)
    obj.data = _device_event(uid, "Demo (phone 2)", start, modified=later)
    obj.save()
    _sync(connection)
    meeting.refresh_from_db()
    assert meeting.subject == "Demo (phone 2)"
    assert str(_events(device_calendar)[uid]["summary"]) == "Demo (phone 2)"
    assert Interaction.objects.filter(subject__startswith="Demo").count() == 1


def test_an_expired_token_resyncs_everything_without_duplicates(rep, connection, device_calendar):
    _meeting(rep, rep, subject="One")
    start = timezone.now() + datetime.timedelta(days=3)
    device_calendar.save_event(_device_event("phone-2", "Two", start))
    _sync(connection)
    CalendarConnection.objects.filter(pk=connection.pk).update(
        sync_token="http://radicale.org/ns/sync/expired"
    )
    device_calendar.event_by_uid("phone-2").delete()  # deleted while the token was lost
    result = _sync(connection)
    assert result.full
    assert result.removed == 1
    assert result.sent == 0
    # Nothing made twice; "Two", which the rep may not delete, stays in Kesher, off his phone.
    assert sorted(Interaction.objects.values_list("subject", flat=True)) == ["One", "Two"]
    assert len(_events(device_calendar)) == 1
    assert SyncedEvent.objects.filter(connection=connection, ignored=False).count() == 1


def test_a_server_error_writes_nothing_and_is_retried_later(
    rep, connection, device_calendar, caldav_server
):
    start = timezone.now() + datetime.timedelta(days=2)
    device_calendar.save_event(_device_event("phone-3", "Lunch", start))
    _sync(connection)  # the first run: the token is kept
    connection.refresh_from_db()
    token = connection.sync_token
    device_calendar.save_event(_device_event("phone-4", "Dinner", start))
    caldav_server.fail(500, times=1)  # the sync REPORT succeeds... no: it fails at once
    with pytest.raises(ProviderError):
        _sync(connection)
    connection.refresh_from_db()
    assert connection.sync_token == token
    assert connection.problem == CalendarConnection.Problem.SERVER
    assert connection.retry_at > timezone.now()
    assert not Interaction.objects.filter(subject="Dinner").exists()
    assert sync_due() == 0  # waiting for its retry time
    assert sync_due(connection.retry_at) == 1
    connection.refresh_from_db()
    assert connection.problem == ""
    assert Interaction.objects.filter(subject="Dinner").count() == 1


def test_a_rate_limit_waits_as_long_as_the_server_asks(rep, connection, caldav_server):
    caldav_server.fail(429, retry_after="120")
    with pytest.raises(ProviderError):
        _sync(connection)
    connection.refresh_from_db()
    assert connection.problem == CalendarConnection.Problem.RATE_LIMITED
    wait = (connection.retry_at - connection.problem_at).total_seconds()
    assert wait == pytest.approx(120, abs=1)
    assert sync_due(timezone.now() + datetime.timedelta(seconds=60)) == 0


def test_the_policy_decides_what_reaches_devices(users, rep, connection, device_calendar):
    admin = users["admin"]
    account = account_create(actor=rep, data={"name": "Galil Dairy"})
    with_account = _meeting(
        rep,
        rep,
        subject="At the dairy",
        body="Price talk",
        link_type="accounts",
        link_id=account.pk,
    )
    _meeting(rep, rep, subject="Internal")
    policy_update(
        actor=admin,
        data={"send_details": True, "send_customer": True, "record_kinds": ["accounts"]},
    )
    _sync(connection)
    events = _events(device_calendar)
    assert [str(e["summary"]) for e in events.values()] == ["At the dairy"]
    description = str(events[f"interaction-{with_account.pk}@127.0.0.1:8000"]["description"])
    assert "Galil Dairy" in description
    assert "Price talk" in description
    # A meeting of another rep the user cannot see never syncs.
    _meeting(users["sales_rep2"], users["sales_rep2"], subject="Not his")
    # Sync turned off: what was sent is taken back.
    policy_update(actor=admin, data={"enabled": False})
    _sync(connection)
    assert _events(device_calendar) == {}
    assert SyncPolicy.current().enabled is False


def test_the_password_is_stored_encrypted_and_tested(rep, caldav_server, device_calendar):
    connection = connection_save(
        actor=rep, data={"url": caldav_server.url, "username": "rep", "password": PASSWORD}
    )
    assert PASSWORD not in connection.secret
    assert decrypt(connection.secret) == PASSWORD
    ok, where = connection_test(actor=rep)
    assert ok
    assert where.startswith(caldav_server.url)
    ok, why = connection_test(actor=rep, data={"password": "wrong"})
    assert not ok
    assert why
    with override_settings(KESHER_PRACTICE=True):
        assert connection_test(actor=rep)[0] is False
        _meeting(rep, rep)
        assert sync_due(timezone.now() + datetime.timedelta(hours=1)) == 0
        assert sync_connection(connection).sent == 0
    assert _events(device_calendar) == {}


def test_a_meeting_costs_no_statement_while_nobody_syncs_a_calendar(users, rep, caldav_server):
    """Every interaction's write is offered to the sync; with no connection it asks nothing
    but the stamps, which a request reads anyway — and a new connection is seen at once."""
    meeting = _meeting(users["manager"], rep)
    event = PlatformEvent("updated", "interactions", meeting.pk, users["manager"].pk)
    with stamps.remembered():
        meeting_changed(event)  # reads the stamps and whether anyone syncs
        with CaptureQueriesContext(db_connection) as queries:
            meeting_changed(event)
        assert len(queries) == 0

        connection = connection_save(
            actor=rep, data={"url": caldav_server.url, "username": "rep", "password": PASSWORD}
        )
        CalendarConnection.objects.filter(pk=connection.pk).update(due_at=None)
        meeting_changed(event)
    connection.refresh_from_db()
    assert connection.due_at is not None

    connection_save(actor=rep, data={"url": caldav_server.url, "username": "rep", "active": False})
    with stamps.remembered():
        meeting_changed(event)
        with CaptureQueriesContext(db_connection) as queries:
            meeting_changed(event)
        assert len(queries) == 0

"""Mass sends (REQ MK-2; Communications Law §30A; decision 0070): the segment evaluated when
queued, consent checked when queued and again right before sending, "פרסומת" first, the
sender's details and the refusal route in every message, at most once per recipient — a
worker's death leaves "outcome unknown", never a second copy — and nothing leaves the
practice environment."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kesher.integrations.models import OutgoingMessage
from kesher.marketing import sending
from kesher.marketing.consent import latest_kind
from kesher.marketing.models import Consent, Recipient, Send
from kesher.marketing.sending import deliver_batch, deliver_sends, render, tally
from kesher.marketing.services import (
    consent_refuse,
    send_cancel,
    send_create,
    send_queue,
    send_resend_unknown,
    send_schedule,
    send_test,
)
from kesher.marketing.tests.conftest import make_contacts

pytestmark = pytest.mark.django_db


def make_send(marketing, **extra):
    return send_create(
        actor=marketing["manager"],
        data={
            "campaign": marketing["campaign"],
            "name": "ניוזלטר דצמבר",
            "channel": "email",
            "segment": marketing["view"],
            "subject": "מבצעי החורף",
            "body": "<p>שלום {{ first_name }},</p><p>המבצעים שלנו</p>",
            "sender_name": "קשר בע״מ",
            "sender_contact": "03-5551234",
            **extra,
        },
    )


def assert_adds_up(send):
    send.refresh_from_db()
    counts = tally(send)
    assert sum(counts.values()) == send.audience, counts
    return counts


def test_queue_evaluates_the_segment_and_skips_those_without_consent(marketing):
    manager = marketing["manager"]
    allowed = make_contacts(manager, 3)
    exception = make_contacts(manager, 1, consent_kind=Consent.Kind.EXISTING_CUSTOMER)
    make_contacts(manager, 2, consent_kind=None)  # no entry at all: no advertising
    refused = make_contacts(manager, 1)
    consent_refuse(contact=refused[0], channel="email", actor=manager)
    make_contacts(manager, 2, city="אילת")  # outside the segment
    send = make_send(marketing)
    send = send_queue(send, actor=manager)
    assert send.status == Send.Status.SENDING
    assert send.audience == 7
    counts = assert_adds_up(send)
    assert counts["pending"] == 4
    assert counts["skipped"] == 3
    pending = set(
        Recipient.objects.filter(send=send, status="pending").values_list("contact", flat=True)
    )
    assert pending == {p.pk for p in allowed + exception}
    with pytest.raises(ValidationError):
        send_queue(send, actor=manager)  # never queued twice
    assert Recipient.objects.filter(send=send).count() == 7


def test_every_message_is_marked_and_carries_the_sender_and_a_way_to_refuse(marketing):
    manager = marketing["manager"]
    people = make_contacts(manager, 2)
    send = send_queue(make_send(marketing), actor=manager)
    assert deliver_sends() == 2
    assert len(mail.outbox) == 2
    for message in mail.outbox:
        assert message.subject == "פרסומת: מבצעי החורף"
        assert message.extra_headers["List-Unsubscribe"].startswith("<http")
        assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        html = message.alternatives[0][0]
        assert 'dir="rtl"' in html
        assert "קשר בע״מ" in html
        assert "03-5551234" in html
        assert "/m/u/" in html
        assert "קשר בע״מ" in message.body
        assert "/m/u/" in message.body
    assert f"שלום {people[0].first_name}" in mail.outbox[0].alternatives[0][0]
    counts = assert_adds_up(send)
    assert counts["sent"] == 2
    send.refresh_from_db()
    assert send.status == Send.Status.DONE
    assert deliver_sends() == 0
    assert len(mail.outbox) == 2


def test_an_sms_starts_with_the_mark_and_ends_with_the_refusal_route(marketing):
    manager = marketing["manager"]
    person = make_contacts(manager, 1, channel="sms")[0]
    send = make_send(marketing, channel="sms", subject="", body="מבצע: 20% הנחה")
    text = render(send, person, unsubscribe_url="https://k.example/m/u/x/").text
    assert text.startswith("פרסומת: מבצע: 20% הנחה")
    assert "קשר בע״מ" in text
    assert "03-5551234" in text
    assert "הסר" in text
    assert text.endswith("https://k.example/m/u/x/")


def test_unsubscribe_link_records_a_refusal_that_stops_the_next_send(marketing, client):
    manager = marketing["manager"]
    people = make_contacts(manager, 2)
    send_queue(make_send(marketing), actor=manager)
    deliver_sends()
    url = mail.outbox[0].extra_headers["List-Unsubscribe"].strip("<>")
    path = url.split("8000", 1)[-1] if "8000" in url else url
    page = client.get(path)
    assert page.status_code == 200
    assert b"confirm-unsubscribe" in page.content
    assert latest_kind(contact=people[0], channel="email", purpose="advertising") == "consent"
    answer = client.post(path)  # the one-click POST, no session, no CSRF token
    assert answer.status_code == 200
    assert latest_kind(contact=people[0], channel="email", purpose="advertising") == "refusal"
    entry = Consent.objects.filter(contact=people[0]).first()
    assert entry.method.value == "link"
    assert entry.recorded_by is None
    second = send_queue(make_send(marketing, name="שני"), actor=manager)
    counts = assert_adds_up(second)
    assert counts == {**counts, "pending": 1, "skipped": 1}
    assert client.get("/m/u/forged:token/").status_code == 404


def test_a_refusal_while_the_send_runs_stops_the_message_not_yet_sent(marketing):
    manager = marketing["manager"]
    people = make_contacts(manager, 3)
    send = send_queue(make_send(marketing), actor=manager)
    assert deliver_batch(limit=1) == 1
    consent_refuse(contact=people[2], channel="email", method="reply", actor=manager)
    assert deliver_batch() == 1
    counts = assert_adds_up(send)
    assert counts["sent"] == 2
    assert counts["skipped"] == 1
    assert [m.to for m in mail.outbox] == [[people[0].email], [people[1].email]]


def test_a_worker_killed_mid_batch_leaves_outcome_unknown_never_a_second_copy(marketing, settings):
    manager = marketing["manager"]
    make_contacts(manager, 5)
    send = send_queue(make_send(marketing), actor=manager)
    # A worker claims two rows and dies before recording any outcome.
    sending.claim(Recipient, Recipient.Status.PENDING, timezone.now(), 2)
    assert Recipient.objects.filter(status="sending").count() == 2
    # Another worker, within the lease, sends the other three and leaves the claimed two.
    assert deliver_sends() == 3
    assert_adds_up(send)
    # After the lease, the two are "outcome unknown" and are never sent on their own.
    later = timezone.now() + datetime.timedelta(seconds=settings.KESHER_MESSAGE_LEASE_SECONDS + 1)
    assert deliver_sends(now=later) == 0
    counts = assert_adds_up(send)
    assert counts["unknown"] == 2
    assert counts["sent"] == 3
    assert counts["pending"] == 0
    send.refresh_from_db()
    assert send.status == Send.Status.DONE
    assert deliver_sends(now=later + datetime.timedelta(hours=1)) == 0
    assert len(mail.outbox) == 3
    # The operator checks and chooses to send them again.
    assert send_resend_unknown(send, actor=manager) == 2
    assert deliver_sends() == 2
    assert len(mail.outbox) == 5
    assert assert_adds_up(send)["sent"] == 5


def test_a_refused_smtp_server_is_retried_with_back_off_then_failed(marketing, monkeypatch):
    manager = marketing["manager"]
    make_contacts(manager, 1)
    send = send_queue(make_send(marketing), actor=manager)

    def broken(*args, **kwargs):
        raise OSError("connection refused")

    monkeypatch.setattr(sending, "_send_one", broken)
    assert deliver_sends() == 0
    row = Recipient.objects.get(send=send)
    assert row.status == "pending"
    assert "refused" in row.last_error
    assert row.next_attempt_at > timezone.now()
    assert_adds_up(send)


def test_nothing_leaves_the_practice_environment(marketing, settings):
    settings.KESHER_PRACTICE = True
    manager = marketing["manager"]
    make_contacts(manager, 3)
    send = send_queue(make_send(marketing), actor=manager)
    assert deliver_sends() == 0
    assert mail.outbox == []
    counts = assert_adds_up(send)
    assert counts["suppressed"] == 3
    test = send_test(send_create_copy(marketing), actor=manager, to="me@example.co.il")
    assert test.status == OutgoingMessage.Status.SUPPRESSED


def send_create_copy(marketing):
    return make_send(marketing, name="ניסיון")


def test_test_send_goes_through_the_message_log_and_is_not_in_the_audience(marketing):
    manager = marketing["manager"]
    make_contacts(manager, 2)
    send = make_send(marketing)
    message = send_test(send, actor=manager, to="me@example.co.il")
    assert message.status == OutgoingMessage.Status.QUEUED
    assert message.subject == "פרסומת: מבצעי החורף"
    assert message.link_type == "campaign-sends"
    send.refresh_from_db()
    assert send.status == Send.Status.DRAFT
    assert send.audience is None
    with pytest.raises(ValidationError):
        send_test(send, actor=manager, to="not an address")


def test_schedule_then_the_worker_queues_it_when_due(marketing):
    manager = marketing["manager"]
    make_contacts(manager, 2)
    at = timezone.now() + datetime.timedelta(hours=2)
    send = send_schedule(make_send(marketing, scheduled_at=at), actor=manager)
    assert send.status == Send.Status.SCHEDULED
    assert deliver_sends() == 0
    assert send.recipients.count() == 0
    assert deliver_sends(now=at + datetime.timedelta(minutes=1)) == 2
    assert assert_adds_up(send)["sent"] == 2
    with pytest.raises(ValidationError):
        send_schedule(make_send(marketing, name="עבר"), actor=manager, at=timezone.now())


def test_a_cancelled_send_sends_nothing_more(marketing):
    manager = marketing["manager"]
    make_contacts(manager, 4)
    send = send_queue(make_send(marketing), actor=manager)
    assert deliver_batch(limit=1) == 1
    send_cancel(send, actor=manager)
    assert deliver_sends() == 0
    counts = assert_adds_up(send)
    assert counts["sent"] == 1
    assert counts["pending"] == 3


def test_a_started_send_cannot_be_changed(marketing):
    from kesher.marketing.services import send_update

    manager = marketing["manager"]
    make_contacts(manager, 1)
    send = send_queue(make_send(marketing), actor=manager)
    with pytest.raises(ValidationError):
        send_update(send, actor=manager, data={"subject": "אחר"})


def test_a_batch_costs_the_same_queries_for_ten_or_forty_recipients(marketing):
    manager = marketing["manager"]
    make_contacts(manager, 10)
    send_queue(make_send(marketing), actor=manager)
    with CaptureQueriesContext(connection) as small:
        assert deliver_batch() == 10
    make_contacts(manager, 30, city="חיפה")
    send_queue(make_send(marketing, name="שני"), actor=manager)
    with CaptureQueriesContext(connection) as large:
        assert deliver_batch() == 40
    # One settling UPDATE per recipient is the only per-row statement.
    assert len(large) - len(small) == 30


def test_the_send_page_acts_and_offers_a_resend_only_when_some_are_unknown(
    marketing, client_for, settings
):
    manager = marketing["manager"]
    make_contacts(manager, 2)
    send = make_send(marketing)
    page = client_for(manager)
    url = f"/r/campaign-sends/{send.pk}/"
    assert (
        page.post(f"/marketing/sends/{send.pk}/test/", {"to": "me@example.co.il"}).status_code
        == 302
    )
    assert OutgoingMessage.objects.filter(link_id=send.pk).count() == 1
    assert page.post(f"/marketing/sends/{send.pk}/send/").status_code == 302
    send.refresh_from_db()
    assert send.audience == 2
    body = page.get(url).content.decode()
    assert 'id="send-figures"' in body
    assert 'id="send-resend-unknown"' not in body
    sending.claim(Recipient, Recipient.Status.PENDING, timezone.now(), 1)
    later = timezone.now() + datetime.timedelta(seconds=settings.KESHER_MESSAGE_LEASE_SECONDS + 1)
    deliver_sends(now=later)
    assert 'id="send-resend-unknown"' in page.get(url).content.decode()
    # Queuing twice from the page is refused with a message, nothing written.
    assert page.post(f"/marketing/sends/{send.pk}/send/").status_code == 302
    assert Recipient.objects.filter(send=send).count() == 2
    assert page.post(f"/marketing/sends/{send.pk}/nonsense/").status_code == 404


def test_someone_elses_personal_view_is_neither_offered_nor_taken_as_a_segment(
    marketing, users, client_for, api_for
):
    """A personal saved view is its owner's: another user's send form does not name it, and the
    API does not take it (the filter and the name are his; shared views are everyone's)."""
    view, admin = marketing["view"], users["admin"]
    own = client_for(marketing["manager"]).get("/r/campaign-sends/new/")
    assert f'<option value="{view.pk}">{view.name}</option>' in own.content.decode()
    other = client_for(admin).get("/r/campaign-sends/new/")
    assert other.status_code == 200
    assert view.name not in other.content.decode()
    data = {"campaign": marketing["campaign"].pk, "name": "x", "segment": view.pk}
    response = api_for(admin).post("/api/v1/campaign-sends/", data, format="json")
    assert response.status_code == 400
    assert "segment" in response.json()
    assert not Send.objects.filter(name="x").exists()

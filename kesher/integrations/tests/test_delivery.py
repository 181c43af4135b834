"""Queued messages delivered by the worker after commit, never twice; retries with back-off;
the practice environment sends nothing; SMS through the gateway interface (issue 5 items 8, 9;
REQ IN-3, IM-6)."""

import datetime
import json

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from kesher.customers.tests.factories import make_account
from kesher.integrations import delivery
from kesher.integrations.delivery import claim, deliver_messages, release_stale
from kesher.integrations.gateways import GatewayError
from kesher.integrations.models import OutgoingMessage
from kesher.integrations.services import message_retry, send_email, send_text
from kesher.integrations.tests.factories import make_template, queue_email
from kesher.integrations.tests.servers import http_receiver

pytestmark = pytest.mark.django_db

LATER = datetime.timedelta(days=2)


def test_email_is_queued_then_sent_once_with_both_parts(admin_user):
    message = queue_email(admin_user)
    assert message.status == "queued"
    assert mail.outbox == []  # nothing leaves before the worker runs
    assert deliver_messages() == 1
    assert deliver_messages() == 0
    message.refresh_from_db()
    assert message.status == "sent"
    assert message.attempts == 1
    assert message.sent_at is not None
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.subject == "שלום דנה כהן"
    assert sent.to == ["dana@example.co.il"]
    assert "שלום דנה כהן" in sent.body
    html, mimetype = sent.alternatives[0]
    assert mimetype == "text/html"
    assert 'dir="rtl"' in html


def test_same_idempotency_key_never_makes_a_second_message(admin_user):
    first = queue_email(admin_user, key="rule:5:run:12")
    again = queue_email(admin_user, key="rule:5:run:12")
    assert again.pk == first.pk
    assert OutgoingMessage.objects.count() == 1
    deliver_messages()
    queue_email(admin_user, key="rule:5:run:12")
    deliver_messages()
    assert len(mail.outbox) == 1


def test_message_is_made_in_the_callers_transaction(admin_user):
    """A caller that rolls back leaves no message: nothing is sent for an undone save."""
    template = make_template(admin_user)
    account = make_account(admin_user, name="x")

    def failing_save():
        with transaction.atomic():
            send_email(
                template_id=template.pk,
                record=account,
                to=["a@example.co.il"],
                source="rule",
                idempotency_key="k1",
            )
            raise RuntimeError("the save failed")

    with pytest.raises(RuntimeError):
        failing_save()
    assert not OutgoingMessage.objects.exists()
    assert deliver_messages() == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"to": "not-a-list@example.co.il"}, "to"),
        ({"to": ["<script>@x"]}, "to"),
        ({"to": []}, "to"),
        ({"template_id": 0}, "template_id"),
        ({"template_id": "abc"}, "template_id"),
        ({"idempotency_key": ""}, "idempotency_key"),
        ({"idempotency_key": "k" * 201}, "idempotency_key"),
        ({"source": ""}, "source"),
    ],
)
def test_bad_email_requests_are_refused(admin_user, changes, field):
    template = make_template(admin_user)
    account = make_account(admin_user, name="x")
    arguments = {
        "template_id": template.pk,
        "record": account,
        "to": ["a@example.co.il"],
        "source": "rule",
        "idempotency_key": "k1",
        **changes,
    }
    with pytest.raises(ValidationError) as error:
        send_email(**arguments)
    assert field in error.value.message_dict
    assert not OutgoingMessage.objects.exists()


def test_template_for_other_records_is_refused(admin_user, users):
    template = make_template(admin_user, entity="contacts", body_he="<p>{{ name }}</p>")
    with pytest.raises(ValidationError) as error:
        queue_email(admin_user, template=template)
    assert "record" in error.value.message_dict


def test_two_workers_claim_each_row_once(admin_user):
    for _n in range(3):
        queue_email(admin_user)
    with transaction.atomic():
        first = claim(OutgoingMessage, "queued")
    with transaction.atomic():
        second = claim(OutgoingMessage, "queued")
    assert len(first) == 3
    assert second == []
    assert set(OutgoingMessage.objects.values_list("status", flat=True)) == {"sending"}


def test_worker_killed_before_its_claim_commits_leaves_the_rows(admin_user):
    queue_email(admin_user)

    def killed_mid_run():
        with transaction.atomic():
            assert claim(OutgoingMessage, "queued")
            raise RuntimeError("kill -9")

    with pytest.raises(RuntimeError):
        killed_mid_run()
    assert deliver_messages() == 1
    assert len(mail.outbox) == 1


def test_worker_killed_after_its_claim_never_resends(admin_user, settings):
    """Claimed and committed, then the worker died: nobody knows whether it left, so it is
    marked failed with the reason and not sent again on its own; "retry" sends it once."""
    message = queue_email(admin_user)
    with transaction.atomic():
        assert claim(OutgoingMessage, "queued") == [message.pk]
    # The next workers, before and after the lease runs out.
    assert deliver_messages() == 0
    much_later = timezone.now() + datetime.timedelta(
        seconds=settings.KESHER_MESSAGE_LEASE_SECONDS + 1
    )
    assert deliver_messages(much_later) == 0
    assert mail.outbox == []
    message.refresh_from_db()
    assert message.status == "failed"
    assert "stopped while sending" in message.last_error or "העובד" in message.last_error
    message_retry(message, actor=admin_user)
    assert deliver_messages() == 1
    assert deliver_messages(much_later) == 0
    assert len(mail.outbox) == 1


def test_failures_retry_with_backoff_then_stay_failed(admin_user, settings, monkeypatch):
    settings.KESHER_MESSAGE_MAX_ATTEMPTS = 3
    settings.KESHER_MESSAGE_BACKOFF_SECONDS = 60
    message = queue_email(admin_user)
    calls = []

    def broken(email_message):
        calls.append(email_message)
        raise ConnectionRefusedError("SMTP server down")

    monkeypatch.setattr(delivery, "_send_message", broken)
    start = timezone.now()
    assert deliver_messages(start) == 0
    message.refresh_from_db()
    assert message.status == "queued"
    assert message.attempts == 1
    assert "SMTP server down" in message.last_error
    waited = message.next_attempt_at - start
    assert datetime.timedelta(seconds=59) < waited < datetime.timedelta(seconds=70)
    assert deliver_messages(start) == 0  # not due yet
    assert len(calls) == 1
    deliver_messages(message.next_attempt_at + datetime.timedelta(seconds=1))
    message.refresh_from_db()
    second_wait = message.next_attempt_at - timezone.now()
    assert datetime.timedelta(seconds=110) < second_wait < datetime.timedelta(seconds=121)
    deliver_messages(timezone.now() + LATER)
    message.refresh_from_db()
    assert message.status == "failed"
    assert message.attempts == 3
    assert message.next_attempt_at is None
    assert deliver_messages(timezone.now() + LATER * 2) == 0
    assert len(calls) == 3


def test_practice_environment_sends_nothing(admin_user, settings):
    """REQ IM-6: in the practice copy every message is suppressed."""
    settings.KESHER_PRACTICE = True
    message = queue_email(admin_user)
    text = send_text(
        channel="sms", to="052-555-1234", body="שלום", source="t", idempotency_key="sms-1"
    )
    assert message.status == text.status == "suppressed"
    assert deliver_messages(timezone.now() + LATER) == 0
    assert mail.outbox == []


def test_sms_through_the_logging_backend(admin_user, caplog):
    account = make_account(admin_user, name="x")
    message = send_text(
        channel="sms",
        to="052-555-1234",
        body="הפגישה מחר ב-10:00",
        record=account,
        source="rule 3",
        idempotency_key="sms-1",
    )
    assert message.to == "+972525551234"  # E.164 by the platform's phone helper
    assert message.link_type == "accounts"
    assert message.link_id == account.pk
    with caplog.at_level("INFO", logger="kesher.integrations.sms"):
        assert deliver_messages() == 1
    assert "+972525551234" in caplog.text
    assert "הפגישה מחר" in caplog.text
    message.refresh_from_db()
    assert message.status == "sent"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"channel": "fax"}, "channel"),
        ({"to": "not a phone"}, "to"),
        ({"to": ""}, "to"),
        ({"body": ""}, "body"),
        ({"body": "x" * 5000}, "body"),
    ],
)
def test_bad_text_requests_are_refused(changes, field):
    arguments = {
        "channel": "sms",
        "to": "0525551234",
        "body": "hi",
        "source": "t",
        "idempotency_key": "k",
        **changes,
    }
    with pytest.raises(ValidationError) as error:
        send_text(**arguments)
    assert field in error.value.message_dict
    assert not OutgoingMessage.objects.exists()


def _use_http_gateway(settings, url, **extra):
    settings.KESHER_SMS_BACKEND = "kesher.integrations.gateways.HttpBackend"
    settings.KESHER_SMS_HTTP_URL = url
    settings.KESHER_SMS_HTTP_TOKEN = "Bearer gateway-token"
    settings.KESHER_SMS_HTTP_TIMEOUT = 2
    for name, value in extra.items():
        setattr(settings, name, value)


def test_http_gateway_posts_json_with_the_token(settings):
    with http_receiver() as gateway:
        _use_http_gateway(settings, gateway.url)
        message = send_text(
            channel="whatsapp", to="+972525551234", body="שלום", source="t", idempotency_key="w1"
        )
        assert deliver_messages() == 1
    assert len(gateway.requests) == 1
    request = gateway.requests[0]
    assert request.headers["Authorization"] == "Bearer gateway-token"
    assert json.loads(request.body) == {
        "channel": "whatsapp",
        "to": "+972525551234",
        "body": "שלום",
        "reference": str(message.pk),
    }


def test_http_gateway_form_and_failure(settings):
    """A gateway that answers 503 leaves the message queued with the reason; form encoding."""
    with http_receiver(answers=[503, 200]) as gateway:
        _use_http_gateway(settings, gateway.url, KESHER_SMS_HTTP_FORMAT="form")
        message = send_text(
            channel="sms", to="0525551234", body="a&b", source="t", idempotency_key="s1"
        )
        assert deliver_messages() == 0
        message.refresh_from_db()
        assert message.status == "queued"
        assert "HTTP 503" in message.last_error
        assert deliver_messages(timezone.now() + LATER) == 1
    assert (
        gateway.requests[1].body
        == b"channel=sms&to=%2B972525551234&body=a%26b&reference=" + str(message.pk).encode()
    )


def test_gateway_without_url_fails_clearly(settings):
    from kesher.integrations.gateways import HttpBackend, TextMessage

    _use_http_gateway(settings, "")
    with pytest.raises(GatewayError, match="KESHER_SMS_HTTP_URL"):
        HttpBackend().send(TextMessage("sms", "+972525551234", "x", "1"))


def test_release_stale_leaves_fresh_claims(admin_user):
    queue_email(admin_user)
    with transaction.atomic():
        claim(OutgoingMessage, "queued")
    assert release_stale() == 0
    assert OutgoingMessage.objects.get().status == "sending"


class CountingBackend:
    """A gateway that remembers every message it was handed, from any thread."""

    sent: list = []

    def send(self, message):
        CountingBackend.sent.append(message.reference)
        return "counted"


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_workers_send_each_message_once(admin_user, settings):
    """Two worker threads, each with its own database connection, drain one queue in small
    batches: every message reaches the gateway exactly once."""
    import threading

    from django.db import connection

    if connection.vendor == "sqlite":
        # The test database is in memory with a shared cache, where SQLite locks a table
        # instead of waiting; a file database (WAL, busy timeout) serializes the writers.
        pytest.skip("SQLite's in-memory test database cannot hold two writing threads")
    settings.KESHER_SMS_BACKEND = f"{__name__}.CountingBackend"
    CountingBackend.sent = []
    for n in range(12):
        send_text(channel="sms", to="0525551234", body=f"m{n}", source="t", idempotency_key=f"c{n}")
    barrier = threading.Barrier(2)
    errors = []

    def worker():
        try:
            barrier.wait()
            for _round in range(8):
                deliver_messages(limit=2)
        except Exception as error:  # a thread's exception would otherwise vanish
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(CountingBackend.sent) == 12
    assert len(set(CountingBackend.sent)) == 12
    assert OutgoingMessage.objects.filter(status="sent", attempts=1).count() == 12


WORKER_SCRIPT = """
import django
django.setup()
from kesher.integrations.delivery import deliver_messages
deliver_messages()
"""


@pytest.mark.django_db(transaction=True)
def test_worker_process_killed_while_sending_never_sends_twice(settings):
    """A real worker process gets ``kill -9`` while the gateway holds its request: the next
    workers do not send the message again; it ends failed with the reason."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the worker process needs a database it can open: PostgreSQL")
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    with http_receiver(hang=30) as gateway:
        message = send_text(
            channel="sms", to="0525551234", body="once", source="t", idempotency_key="kill"
        )
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "kesher.settings",
            "DATABASE_URL": url,
            "KESHER_SMS_BACKEND": "kesher.integrations.gateways.HttpBackend",
            "KESHER_SMS_HTTP_URL": gateway.url,
        }
        worker = subprocess.Popen([sys.executable, "-c", WORKER_SCRIPT], env=env)
        try:
            deadline = time.monotonic() + 30
            while not gateway.requests and time.monotonic() < deadline:
                time.sleep(0.05)
            assert len(gateway.requests) == 1
        finally:
            worker.send_signal(signal.SIGKILL)
            worker.wait()
        settings.KESHER_SMS_BACKEND = "kesher.integrations.gateways.HttpBackend"
        settings.KESHER_SMS_HTTP_URL = gateway.url
        assert deliver_messages() == 0
        after_lease = timezone.now() + datetime.timedelta(
            seconds=settings.KESHER_MESSAGE_LEASE_SECONDS + 1
        )
        assert deliver_messages(after_lease) == 0
        assert len(gateway.requests) == 1
    message.refresh_from_db()
    assert message.status == "failed"
    assert message.attempts == 1

"""Outgoing webhooks: signed, retried with back-off, delivered once, dead letters with the
reason; subscriptions to record events; the secret shown once (issue 5 item 4; REQ AU-1)."""

import datetime
import json

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from kesher.customers.services import account_update
from kesher.customers.tests.factories import make_account
from kesher.integrations.delivery import claim, deliver_webhooks
from kesher.integrations.models import WebhookDelivery, WebhookSubscription
from kesher.integrations.services import (
    webhook_delivery_retry,
    webhook_enqueue,
    webhook_subscription_create,
)
from kesher.integrations.tests.servers import http_receiver
from kesher.integrations.webhooks import verify

pytestmark = pytest.mark.django_db

SECRET = "s3cr3t-for-tests"


def _enqueue(url, key="k1", **extra):
    return webhook_enqueue(
        url=url,
        secret=extra.pop("secret", SECRET),
        event=extra.pop("event", "accounts.updated"),
        payload=extra.pop("payload", {"id": 12, "name": "דנה כהן"}),
        source="automation rule 5, run 12",
        idempotency_key=key,
    )


def _run_until_settled(rounds: int = 10) -> None:
    """Worker ticks, each far enough ahead for any back-off."""
    moment = timezone.now()
    for _n in range(rounds):
        moment += datetime.timedelta(days=2)
        deliver_webhooks(moment)


def test_receiver_failing_twice_gets_exactly_one_signed_delivery(settings):
    """Issue 5: fails twice, then succeeds: one successful delivery with a valid signature."""
    settings.KESHER_WEBHOOK_MAX_ATTEMPTS = 5
    with http_receiver(answers=[500, 503, 200]) as receiver:
        delivery = _enqueue(receiver.url)
        assert deliver_webhooks() == 0
        delivery.refresh_from_db()
        assert delivery.status == "pending"
        assert delivery.last_status_code == 500
        assert "busy, try later" in delivery.last_error
        _run_until_settled()
    delivery.refresh_from_db()
    assert delivery.status == "delivered"
    assert delivery.attempts == 3
    assert delivery.last_status_code == 200
    assert len(receiver.requests) == 3
    successful = [
        r for r, status in zip(receiver.requests, [500, 503, 200], strict=True) if status == 200
    ]
    assert len(successful) == 1
    request = successful[0]
    assert verify(SECRET, request.body, request.headers["X-Kesher-Signature"])
    assert not verify("another secret", request.body, request.headers["X-Kesher-Signature"])
    assert request.headers["X-Kesher-Delivery"] == str(delivery.delivery_id)
    assert request.headers["X-Kesher-Event"] == "accounts.updated"
    assert request.headers["X-Kesher-Timestamp"].isdigit()
    assert json.loads(request.body) == {"id": 12, "name": "דנה כהן"}
    # Every attempt carried the same id and body, so the receiver could drop repeats.
    assert {r.headers["X-Kesher-Delivery"] for r in receiver.requests} == {
        str(delivery.delivery_id)
    }
    assert {r.body for r in receiver.requests} == {request.body}


def test_receiver_that_never_answers_ends_in_the_dead_letter_list(settings):
    settings.KESHER_WEBHOOK_TIMEOUT = 0.3
    settings.KESHER_WEBHOOK_MAX_ATTEMPTS = 2
    with http_receiver(hang=1.0) as receiver:
        delivery = _enqueue(receiver.url)
        _run_until_settled(rounds=3)
    delivery.refresh_from_db()
    assert delivery.status == "dead"
    assert delivery.attempts == 2
    assert "timed out" in delivery.last_error
    assert delivery.next_attempt_at is None
    assert list(WebhookDelivery.objects.filter(status="dead")) == [delivery]


def test_unreachable_receiver_reason_and_retry_from_the_dead_letter_list(settings, admin_user):
    settings.KESHER_WEBHOOK_MAX_ATTEMPTS = 1
    with http_receiver() as receiver:
        closed_url = receiver.url
    delivery = _enqueue(closed_url)
    deliver_webhooks()
    delivery.refresh_from_db()
    assert delivery.status == "dead"
    assert "connection failed" in delivery.last_error
    with http_receiver() as receiver:
        delivery.url = receiver.url
        delivery.save(update_fields=["url"])
        webhook_delivery_retry(delivery, actor=admin_user)
        assert deliver_webhooks() == 1
    assert len(receiver.requests) == 1
    with pytest.raises(ValidationError):
        webhook_delivery_retry(delivery, actor=admin_user)


def test_idempotency_key_and_bad_input(admin_user):
    first = _enqueue("https://example.co.il/hook", key="same")
    assert _enqueue("https://example.co.il/hook", key="same").pk == first.pk
    bad_inputs = [
        ({"url": "ftp://example.co.il"}, "url"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"secret": None}, "secret"),
        ({"secret": "s" * 201}, "secret"),
        ({"event": ""}, "event"),
        ({"payload": ["not", "an", "object"]}, "payload"),
        ({"payload": {"when": object()}}, "payload"),
    ]
    for changes, field in bad_inputs:
        arguments = {
            "url": "https://example.co.il/hook",
            "secret": SECRET,
            "event": "x",
            "payload": {},
            "source": "t",
            "idempotency_key": f"bad-{field}",
            **changes,
        }
        with pytest.raises(ValidationError) as error:
            webhook_enqueue(**arguments)
        assert field in error.value.message_dict
    assert WebhookDelivery.objects.count() == 1


def test_two_workers_never_post_the_same_delivery():
    _enqueue("https://example.co.il/hook", key="a")
    _enqueue("https://example.co.il/hook", key="b")
    with transaction.atomic():
        first = claim(WebhookDelivery, "pending")
    with transaction.atomic():
        second = claim(WebhookDelivery, "pending")
    assert len(first) == 2
    assert second == []


def test_subscription_receives_record_events(admin_user, django_capture_on_commit_callbacks):
    with http_receiver() as receiver:
        subscription, secret = webhook_subscription_create(
            actor=admin_user,
            data={
                "name": "ERP",
                "url": receiver.url,
                "entities": ["accounts"],
                "events": ["created", "updated"],
            },
        )
        with django_capture_on_commit_callbacks(execute=True):
            account = make_account(admin_user, name="חברה חדשה")
        with django_capture_on_commit_callbacks(execute=True):
            account_update(account, actor=admin_user, data={"city": "חיפה"})
        assert WebhookDelivery.objects.count() == 2
        assert deliver_webhooks() == 2
    created, updated = sorted(receiver.requests, key=lambda r: r.headers["X-Kesher-Event"])
    assert created.headers["X-Kesher-Event"] == "accounts.created"
    body = json.loads(updated.body)
    assert body["event"] == "accounts.updated"
    assert body["id"] == account.pk
    assert body["changed_fields"] == ["city"]
    assert body["record"]["name"] == "חברה חדשה"
    assert body["record"]["city"] == "חיפה"
    assert verify(secret, updated.body, updated.headers["X-Kesher-Signature"])
    assert WebhookDelivery.objects.filter(subscription=subscription).count() == 2


def test_subscription_ignores_other_entities_and_events(
    admin_user, django_capture_on_commit_callbacks
):
    webhook_subscription_create(
        actor=admin_user,
        data={
            "name": "x",
            "url": "https://example.co.il/h",
            "entities": ["contacts"],
            "events": ["deleted"],
        },
    )
    with django_capture_on_commit_callbacks(execute=True):
        make_account(admin_user, name="x")
    assert not WebhookDelivery.objects.exists()


def test_practice_environment_posts_nothing(settings):
    settings.KESHER_PRACTICE = True
    delivery = _enqueue("https://example.co.il/hook")
    assert delivery.status == "dead"
    assert deliver_webhooks() == 0


# --- the API -----------------------------------------------------------------------------------


def test_api_shows_the_secret_once(admin_user, api_for):
    api = api_for(admin_user)
    response = api.post(
        "/api/v1/webhooks/",
        {"name": "ERP", "url": "https://erp.example.co.il/in", "events": ["created"]},
        format="json",
    )
    assert response.status_code == 201, response.content
    secret = response.json()["secret"]
    assert len(secret) >= 32
    assert WebhookSubscription.objects.get().secret == secret
    listed = api.get("/api/v1/webhooks/").json()
    assert "secret" not in listed["results"][0]
    one = api.get(f"/api/v1/webhooks/{listed['results'][0]['id']}/")
    assert secret not in one.content.decode()
    patched = api.patch(
        f"/api/v1/webhooks/{listed['results'][0]['id']}/", {"active": False}, format="json"
    )
    assert patched.status_code == 200
    assert patched.json()["active"] is False
    assert secret not in patched.content.decode()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "url": "ftp://x.example", "events": ["created"]}, "url"),
        ({"name": "x", "url": "https://x.example", "events": ["exploded"]}, "events"),
        ({"name": "x", "url": "https://x.example", "events": []}, "events"),
        (
            {"name": "x", "url": "https://x.example", "events": ["created"], "entities": ["nope"]},
            "entities",
        ),
        ({"name": "<script>" * 40, "url": "https://x.example", "events": ["created"]}, "name"),
        (
            {"name": "x", "url": "https://x.example", "events": ["created"], "secret": "mine"},
            "secret",
        ),
        ({"url": "https://x.example", "events": "created"}, "events"),
    ],
)
def test_api_refuses_bad_webhooks(admin_user, api_for, body, field):
    response = api_for(admin_user, language="en").post("/api/v1/webhooks/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not WebhookSubscription.objects.exists()


def test_api_deliveries_and_dead_letter_retry(admin_user, api_for, settings):
    settings.KESHER_WEBHOOK_MAX_ATTEMPTS = 1
    with http_receiver(answers=[500]) as receiver:
        delivery = _enqueue(receiver.url)
        deliver_webhooks()
    api = api_for(admin_user)
    dead = api.get("/api/v1/webhook-deliveries/?status=dead").json()
    assert [d["id"] for d in dead["results"]] == [delivery.pk]
    assert dead["results"][0]["last_status_code"] == 500
    assert "secret" not in dead["results"][0]
    response = api.post(f"/api/v1/webhook-deliveries/{delivery.pk}/retry/")
    assert response.status_code == 200
    assert response.json()["status"] == "pending"
    assert api.post(f"/api/v1/webhook-deliveries/{delivery.pk}/retry/").status_code == 400


def test_webhooks_are_for_administrators_only(users, api_for):
    for role in ("manager", "sales_rep", "support_agent", "read_only"):
        api = api_for(users[role])
        assert api.get("/api/v1/webhooks/").status_code == 403
        assert api.get("/api/v1/webhook-deliveries/").status_code == 403
        response = api.post(
            "/api/v1/webhooks/",
            {"name": "x", "url": "https://x.example", "events": ["created"]},
            format="json",
        )
        assert response.status_code == 403
    assert api_for(None).get("/api/v1/webhooks/").status_code in (401, 403)
    assert not WebhookSubscription.objects.exists()


def test_delivery_without_a_secret_goes_unsigned():
    with http_receiver() as receiver:
        _enqueue(receiver.url, secret="")
        assert deliver_webhooks() == 1
    assert "X-Kesher-Signature" not in receiver.requests[0].headers
    assert receiver.requests[0].headers["X-Kesher-Delivery"]


def test_no_webhook_is_remembered_until_another_process_changes_one(admin_user):
    """The answer is kept per process, not re-read on every save, and another process's change
    (which replaces the ``webhooks`` stamp's token) is seen on the next ask — not 30 s later."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kesher.integrations.models import WEBHOOKS_STAMP
    from kesher.integrations.subscriptions import any_active
    from kesher.platform import stamps

    assert any_active() is False
    # Written as another process would: no signal reaches this one.
    WebhookSubscription.objects.bulk_create(
        [WebhookSubscription(name="x", url="https://example.co.il/h", events=["created"])]
    )
    with CaptureQueriesContext(connection) as queries:
        assert any_active() is False
    assert not any("integrations_webhooksubscription" in q["sql"] for q in queries)
    stamps.renew(WEBHOOKS_STAMP)
    assert any_active() is True


def test_new_webhook_is_seen_at_once_after_a_remembered_none(
    admin_user, django_capture_on_commit_callbacks
):
    """ "No webhooks" is remembered to keep saves cheap; making one forgets it."""
    from kesher.integrations.subscriptions import any_active

    assert any_active() is False
    with django_capture_on_commit_callbacks(execute=True):
        webhook_subscription_create(
            actor=admin_user,
            data={"name": "x", "url": "https://example.co.il/h", "events": ["created"]},
        )
    with django_capture_on_commit_callbacks(execute=True):
        make_account(admin_user, name="x")
    assert WebhookDelivery.objects.count() == 1

"""How the access matrix makes email templates, messages and webhooks, and which answers the
integrations app's own routes must get (kesher/platform/testing/matrix.py;
tests/test_access_matrix.py imports this). Templates, the message log and webhooks are
administrators' unless a role is granted "email-templates", "messages" or "webhooks"."""

from kesher.integrations.models import OutgoingMessage, WebhookDelivery, WebhookSubscription
from kesher.integrations.services import (
    email_template_create,
    send_text,
    webhook_enqueue,
    webhook_subscription_create,
)
from kesher.platform.testing.matrix import (
    Verb,
    created,
    not_allowed,
    permitted,
    register_records,
    register_route,
    register_setup,
)


def _template_values(world, marker, record):
    return {
        "name": marker,
        "entity": "accounts",
        "subject_he": "שלום {{ name }}",
        "body_he": "<p>שלום {{ name }}</p>",
        "subject_en": "",
        "body_en": "",
        "active": True,
    }


register_records(
    "email-templates",
    make=lambda world, side: email_template_create(
        actor=world.users["admin"], data=_template_values(world, "Matrix template", None)
    ),
    values=_template_values,
    marker_field="name",
)


@register_setup
def _messages_and_webhooks(world):
    message = send_text(
        channel="sms", to="0525551234", body="Matrix", source="matrix", idempotency_key="matrix"
    )
    OutgoingMessage.objects.filter(pk=message.pk).update(status="failed", last_error="x")
    world["failed message"] = message
    delivery = webhook_enqueue(
        url="https://matrix.example/hook",
        secret="s",
        event="matrix",
        payload={},
        source="matrix",
        idempotency_key="matrix",
    )
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status="dead", last_error="x")
    world["dead delivery"] = delivery
    world["webhook"], _secret = webhook_subscription_create(
        actor=world.users["admin"],
        data={"name": "Matrix webhook", "url": "https://matrix.example/in", "events": ["created"]},
    )


def _message_queued(world, principal, marker):
    return OutgoingMessage.objects.filter(pk=world["failed message"].pk, status="queued").exists()


def _delivery_pending(world, principal, marker):
    return WebhookDelivery.objects.filter(pk=world["dead delivery"].pk, status="pending").exists()


def _webhook_made(world, principal, marker):
    return WebhookSubscription.objects.filter(name=marker).exists()


def _webhook_gone(world, principal, marker):
    return not WebhookSubscription.objects.filter(pk=world["webhook"].pk).exists()


def _webhook_renamed(world, principal, marker):
    return WebhookSubscription.objects.filter(pk=world["webhook"].pk, name=marker).exists()


def _test_sent(world, principal, marker):
    return OutgoingMessage.objects.filter(
        channel="email", idempotency_key__startswith="test:"
    ).exists()


def _webhook_values(world, marker):
    return {"name": marker, "url": "https://matrix.example/new", "events": ["created"]}


def _template(world):
    return world.record("email-templates")


# --- pages -------------------------------------------------------------------------------------

register_route(
    "integrations",
    "/integrations/email-templates/new/",
    Verb("GET", permitted("email-templates", "add")),
    Verb(
        "POST",
        permitted("email-templates", "add"),
        data=lambda world, marker: {
            **_template_values(world, marker, None),
            "active": "on",
        },
        writes=created("email-templates"),
    ),
)
register_route(
    "integrations",
    lambda world: f"/integrations/email-templates/{_template(world).pk}/editor/",
    Verb("GET", permitted("email-templates", "change")),
    what="a template",
)
register_route(
    "integrations",
    "/integrations/email-templates/records/?entity=accounts",
    Verb("GET", permitted("email-templates", "view")),
)
register_route(
    "integrations",
    "/integrations/email-templates/preview/",
    Verb(
        "POST",
        permitted("email-templates", "view"),
        data=lambda world, marker: {"subject_he": marker, "body_he": "<p>{{ name }}</p>"},
    ),
    *(Verb(m, not_allowed()) for m in ("GET", "PUT", "PATCH", "DELETE")),
)
register_route(
    "integrations",
    lambda world: f"/integrations/email-templates/{_template(world).pk}/test/",
    Verb("POST", permitted("email-templates", "view"), data=lambda w, m: {}, writes=_test_sent),
    *(Verb(m, not_allowed()) for m in ("GET", "PUT", "PATCH", "DELETE")),
    what="a template",
)
register_route(
    "integrations", "/integrations/messages/", Verb("GET", permitted("messages", "view"))
)
register_route(
    "integrations",
    lambda world: f"/integrations/messages/{world['failed message'].pk}/retry/",
    Verb("POST", permitted("messages", "change"), writes=_message_queued),
    *(Verb(m, not_allowed()) for m in ("GET", "PUT", "PATCH", "DELETE")),
    what="a failed message",
)
register_route(
    "integrations",
    "/integrations/webhooks/",
    Verb("GET", permitted("webhooks", "view")),
    Verb("POST", permitted("webhooks", "add"), data=_webhook_values, writes=_webhook_made),
)
register_route(
    "integrations",
    lambda world: f"/integrations/webhooks/{world['webhook'].pk}/delete/",
    Verb("POST", permitted("webhooks", "delete"), writes=_webhook_gone),
    *(Verb(m, not_allowed()) for m in ("GET", "PUT", "PATCH", "DELETE")),
    what="a webhook",
)
register_route(
    "integrations",
    "/integrations/webhooks/deliveries/?status=dead",
    Verb("GET", permitted("webhooks", "view")),
)
register_route(
    "integrations",
    lambda world: f"/integrations/webhooks/deliveries/{world['dead delivery'].pk}/retry/",
    Verb("POST", permitted("webhooks", "change"), writes=_delivery_pending),
    *(Verb(m, not_allowed()) for m in ("GET", "PUT", "PATCH", "DELETE")),
    what="a dead delivery",
)


# --- API ---------------------------------------------------------------------------------------


def _read_only(key: str):
    """A read-only resource: its other verbs get 403 without the grant, 405 with it."""
    return (
        Verb("POST", not_allowed(permitted(key, "add"))),
        Verb("PUT", not_allowed(permitted(key, "change"))),
        Verb("PATCH", not_allowed(permitted(key, "change"))),
        Verb("DELETE", not_allowed(permitted(key, "delete"))),
    )


register_route(
    "integrations-api",
    "/api/v1/messages/",
    Verb("GET", permitted("messages", "view")),
    *_read_only("messages"),
    api=True,
)
register_route(
    "integrations-api",
    lambda world: f"/api/v1/messages/{world['failed message'].pk}/",
    Verb("GET", permitted("messages", "view")),
    *_read_only("messages"),
    api=True,
    what="a message",
)
register_route(
    "integrations-api",
    lambda world: f"/api/v1/messages/{world['failed message'].pk}/retry/",
    Verb("POST", permitted("messages", "change"), writes=_message_queued),
    Verb("GET", not_allowed(permitted("messages", "view"))),
    Verb("PUT", not_allowed(permitted("messages", "change"))),
    Verb("PATCH", not_allowed(permitted("messages", "change"))),
    Verb("DELETE", not_allowed(permitted("messages", "delete"))),
    api=True,
    what="a failed message",
)
register_route(
    "integrations-api",
    "/api/v1/webhooks/",
    Verb("GET", permitted("webhooks", "view")),
    Verb("POST", permitted("webhooks", "add"), data=_webhook_values, writes=_webhook_made),
    Verb("PUT", not_allowed(permitted("webhooks", "change"))),
    Verb("PATCH", not_allowed(permitted("webhooks", "change"))),
    Verb("DELETE", not_allowed(permitted("webhooks", "delete"))),
    api=True,
)
register_route(
    "integrations-api",
    lambda world: f"/api/v1/webhooks/{world['webhook'].pk}/",
    Verb("GET", permitted("webhooks", "view")),
    Verb("PUT", permitted("webhooks", "change"), data=_webhook_values, writes=_webhook_renamed),
    Verb(
        "PATCH",
        permitted("webhooks", "change"),
        data=lambda world, marker: {"name": marker},
        writes=_webhook_renamed,
    ),
    Verb("DELETE", permitted("webhooks", "delete"), writes=_webhook_gone),
    Verb("POST", not_allowed(permitted("webhooks", "add"))),
    api=True,
    what="a webhook",
)
register_route(
    "integrations-api",
    "/api/v1/webhook-deliveries/",
    Verb("GET", permitted("webhooks", "view")),
    *_read_only("webhooks"),
    api=True,
)
register_route(
    "integrations-api",
    lambda world: f"/api/v1/webhook-deliveries/{world['dead delivery'].pk}/",
    Verb("GET", permitted("webhooks", "view")),
    *_read_only("webhooks"),
    api=True,
    what="a dead delivery",
)
register_route(
    "integrations-api",
    lambda world: f"/api/v1/webhook-deliveries/{world['dead delivery'].pk}/retry/",
    Verb("POST", permitted("webhooks", "change"), writes=_delivery_pending),
    Verb("GET", not_allowed(permitted("webhooks", "view"))),
    Verb("PUT", not_allowed(permitted("webhooks", "change"))),
    Verb("PATCH", not_allowed(permitted("webhooks", "change"))),
    Verb("DELETE", not_allowed(permitted("webhooks", "delete"))),
    api=True,
    what="a dead delivery",
)

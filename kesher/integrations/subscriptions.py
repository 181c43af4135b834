"""Webhook subscriptions listen to the platform's record events (``kesher.platform.events``)
and queue one signed delivery per matching event, carrying the record as the API shows it
(issue 5 item 4)."""

from __future__ import annotations

import json
import uuid

from django.db import transaction
from django.utils import timezone

from kesher.integrations.models import WEBHOOKS_STAMP, WebhookSubscription
from kesher.integrations.services import webhook_enqueue
from kesher.integrations.webhooks import encode
from kesher.platform import stamps
from kesher.platform.events import CREATED, DELETED, UPDATED, Event
from kesher.platform.registry import registry

__all__ = ["any_active", "on_record_event", "payload_for"]

EVENTS = (CREATED, UPDATED, DELETED)


def payload_for(event: Event) -> dict:
    """What a receiver gets: the event, and the record in its API representation."""
    from kesher.platform.api.serializers import serializer_for

    entity = registry.get(event.entity)
    record = None
    if event.name != DELETED:
        instance = entity.model._base_manager.filter(pk=event.object_id).first()
        if instance is not None:
            record = serializer_for(entity)(instance, context={}).data
    payload = {
        "event": f"{event.entity}.{event.name}",
        "entity": event.entity,
        "id": event.object_id,
        "occurred_at": timezone.now().isoformat(),
        "actor_id": event.actor_id,
        "changed_fields": sorted(event.changes) if event.name == UPDATED else [],
        "record": record,
    }
    # Plain JSON types only, as stored and as sent.
    return json.loads(encode(payload))


def any_active() -> bool:
    """Whether any webhook is active: most installations have none, and every save of every
    record asks (issue 5: a rule that does not match adds at most 1 ms per save). The answer is
    kept per process until a subscription changes (the ``webhooks`` stamp), so a new webhook is
    seen by every process on its next request."""
    return stamps.cached(
        WEBHOOKS_STAMP,
        "any-active",
        lambda: WebhookSubscription.objects.filter(active=True).exists(),
    )


def on_record_event(event: Event) -> None:
    """Queue a delivery for each active subscription that wants this event (after commit)."""
    if event.name not in EVENTS or not any_active():
        return
    if event.entity not in registry.keys():  # noqa: SIM118  (a list)
        return
    wanted = [
        s
        for s in WebhookSubscription.objects.filter(active=True)
        if s.wants(event.entity, event.name)
    ]
    if not wanted:
        return
    payload = payload_for(event)
    with transaction.atomic():
        for subscription in wanted:
            webhook_enqueue(
                url=subscription.url,
                secret=subscription.secret,
                event=payload["event"],
                payload=payload,
                source=f"webhook {subscription.pk}",
                idempotency_key=f"webhook:{subscription.pk}:{uuid.uuid4()}",
                subscription=subscription,
            )

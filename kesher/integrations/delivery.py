"""The worker's delivery of queued messages and webhook deliveries, each sent at most once
(issue 5 items 4, 9; DESIGN.md "never sent twice"; decision 0034).

A worker claims due rows with one UPDATE that moves them from "queued" (or "pending") to
"sending" and returns their ids (on PostgreSQL the candidates are picked ``FOR UPDATE SKIP
LOCKED``), as ``kesher.activities.delivery`` does, and commits. Only then does it send, and it
records each outcome in its own short transaction: sent, or back to the queue with an
exponential back-off, or failed / dead after the last attempt. Two workers never claim the same
row. A worker killed before its claim commits leaves the rows to the next tick; one killed
after it leaves them "sending": after ``KESHER_MESSAGE_LEASE_SECONDS`` they are marked failed
(or dead) with that reason and are never sent again on their own, since nobody can tell whether
the message left; an administrator who checks can press "retry".
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kesher.integrations.attachments import attachments_for
from kesher.integrations.gateways import GatewayError, TextMessage, get_backend
from kesher.integrations.models import OutgoingMessage, WebhookDelivery
from kesher.integrations.webhooks import post
from kesher.platform.claims import claim_ids

__all__ = ["claim", "deliver_messages", "deliver_webhooks", "release_stale"]

logger = logging.getLogger("kesher.integrations")
BATCH = 100
ERROR_LIMIT = 2000


def claim(model, waiting: str, now=None, limit: int = BATCH) -> list[int]:
    """Move up to ``limit`` due rows of ``model`` from ``waiting`` to "sending", counting the
    attempt, and return their ids; rows another worker claimed are not returned. Call inside a
    transaction and commit before sending."""
    now = now or timezone.now()
    return claim_ids(
        model._meta.db_table,
        due="status = %s AND next_attempt_at <= %s",
        due_params=[waiting, now],
        order="next_attempt_at, id",
        limit=limit,
        mark="status = %s, claimed_at = %s, attempts = attempts + 1",
        mark_params=["sending", now],
    )


def backoff(attempts: int, base: float) -> datetime.timedelta:
    """Exponential: ``base``, 2×, 4×… seconds after the 1st, 2nd, 3rd failed attempt (≤ 1 day)."""
    return datetime.timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 86400))


def release_stale(now=None) -> int:
    """Rows left "sending" by a worker that died mid-run: failed (dead) with the reason, never
    re-sent on their own. Returns how many."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(seconds=settings.KESHER_MESSAGE_LEASE_SECONDS)
    reason = _(
        "The worker stopped while sending; it is not sent again automatically so that it "
        "never arrives twice. Check with the recipient, then press Retry if it did not arrive."
    )
    messages = OutgoingMessage.objects.filter(status="sending", claimed_at__lt=cutoff).update(
        status=OutgoingMessage.Status.FAILED, last_error=reason, next_attempt_at=None
    )
    deliveries = WebhookDelivery.objects.filter(status="sending", claimed_at__lt=cutoff).update(
        status=WebhookDelivery.Status.DEAD, last_error=reason, next_attempt_at=None
    )
    return messages + deliveries


# --- messages ----------------------------------------------------------------------------------


def _send_message(message: OutgoingMessage) -> None:
    """Send one message through Django's email backend or the text gateway; raise on failure."""
    if message.channel == OutgoingMessage.Channel.EMAIL:
        headers = {str(k): str(v) for k, v in (message.headers or {}).items()}
        from_email = headers.pop("From", None)
        if message.language:
            headers["Content-Language"] = message.language
        email = EmailMultiAlternatives(
            subject=message.subject,
            body=message.body_text,
            from_email=from_email,
            to=message.recipients,
            headers=headers or None,
        )
        email.attach_alternative(message.body_html, "text/html")
        for name, content, mime_type in attachments_for(message):
            email.attach(name, content, mime_type)
        email.send()
        return
    get_backend().send(
        TextMessage(
            channel=message.channel,
            to=message.to,
            body=message.body_text,
            reference=str(message.pk),
            template=str((message.headers or {}).get("template", "")),
        )
    )


def _message_outcome(message: OutgoingMessage, error: str, now) -> str:
    if not error:
        fields = {"status": OutgoingMessage.Status.SENT, "sent_at": now, "last_error": ""}
    elif message.attempts >= settings.KESHER_MESSAGE_MAX_ATTEMPTS:
        fields = {"status": OutgoingMessage.Status.FAILED, "last_error": error[:ERROR_LIMIT]}
        fields["next_attempt_at"] = None
    else:
        wait = backoff(message.attempts, settings.KESHER_MESSAGE_BACKOFF_SECONDS)
        fields = {
            "status": OutgoingMessage.Status.QUEUED,
            "last_error": error[:ERROR_LIMIT],
            "next_attempt_at": now + wait,
        }
    # Only the claim's own "sending" row is settled: a row released as stale meanwhile stays.
    OutgoingMessage.objects.filter(pk=message.pk, status="sending").update(**fields)
    return fields["status"]


def deliver_messages(now=None, limit: int = BATCH) -> int:
    """Claim due messages, send them after the claim commits, record each outcome; returns
    how many were sent. Runs on every worker tick."""
    release_stale(now)
    with transaction.atomic():
        ids = claim(OutgoingMessage, OutgoingMessage.Status.QUEUED, now, limit)
    sent = 0
    for message in OutgoingMessage.objects.filter(pk__in=ids).order_by("id"):
        if settings.KESHER_PRACTICE:
            # Nothing leaves the practice environment (REQ IM-6).
            OutgoingMessage.objects.filter(pk=message.pk).update(
                status=OutgoingMessage.Status.SUPPRESSED
            )
            continue
        error = ""
        try:
            _send_message(message)
        except GatewayError as failure:
            error = str(failure) or failure.__class__.__name__
        except Exception as failure:
            # A broken SMTP server or gateway must not stop the batch; the reason is kept.
            logger.warning("message %s: sending failed: %s", message.pk, failure)
            error = f"{failure.__class__.__name__}: {failure}"
        outcome = _message_outcome(message, error, timezone.now())
        sent += outcome == OutgoingMessage.Status.SENT
    return sent


# --- webhooks ----------------------------------------------------------------------------------


def _delivery_outcome(delivery: WebhookDelivery, attempt, now) -> str:
    fields = {"last_status_code": attempt.status_code, "last_error": attempt.error[:ERROR_LIMIT]}
    if attempt.delivered:
        fields.update(status=WebhookDelivery.Status.DELIVERED, delivered_at=now, last_error="")
    elif delivery.attempts >= settings.KESHER_WEBHOOK_MAX_ATTEMPTS:
        fields.update(status=WebhookDelivery.Status.DEAD, next_attempt_at=None)
    else:
        wait = backoff(delivery.attempts, settings.KESHER_WEBHOOK_BACKOFF_SECONDS)
        fields.update(status=WebhookDelivery.Status.PENDING, next_attempt_at=now + wait)
    WebhookDelivery.objects.filter(pk=delivery.pk, status="sending").update(**fields)
    return fields["status"]


def deliver_webhooks(now=None, limit: int = BATCH) -> int:
    """Claim due webhook deliveries, POST them after the claim commits, record each outcome;
    returns how many were delivered. Runs on every worker tick."""
    release_stale(now)
    with transaction.atomic():
        ids = claim(WebhookDelivery, WebhookDelivery.Status.PENDING, now, limit)
    delivered = 0
    for delivery in WebhookDelivery.objects.filter(pk__in=ids).order_by("id"):
        attempt = post(
            url=delivery.url,
            secret=delivery.secret,
            event=delivery.event,
            delivery_id=str(delivery.delivery_id),
            body=delivery.body,
        )
        outcome = _delivery_outcome(delivery, attempt, timezone.now())
        delivered += outcome == WebhookDelivery.Status.DELIVERED
    return delivered

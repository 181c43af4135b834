"""Every write of the integrations app: email templates, queuing messages and webhook
deliveries, retries, and webhook subscriptions (issue 5 items 4, 8, 9; REQ IN-3, AU-1).

``send_email``, ``send_text`` and ``webhook_enqueue`` are what automation calls: each writes its
row inside the caller's transaction and returns the row already made for the same
``idempotency_key`` instead of a second one. The worker delivers after commit
(``kesher.integrations.delivery``).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kesher.integrations import merge
from kesher.integrations.compose import compose, html_to_text, sanitize, wrap_html
from kesher.integrations.models import (
    EmailTemplate,
    OutgoingMessage,
    WebhookDelivery,
    WebhookSubscription,
)
from kesher.integrations.webhooks import encode
from kesher.platform.fields import normalize_phone
from kesher.platform.outgoing import validate_public_url
from kesher.platform.records.links import linkable_keys
from kesher.platform.records.services import clean_text, record_create, record_update, write_audit
from kesher.platform.registry import registry

__all__ = [
    "CustomerThread",
    "email_template_create",
    "email_template_update",
    "message_retry",
    "register_customer_thread",
    "send_email",
    "send_email_message",
    "send_test_email",
    "send_text",
    "webhook_delivery_retry",
    "webhook_enqueue",
    "webhook_subscription_create",
    "webhook_subscription_delete",
    "webhook_subscription_update",
]

MAX_RECIPIENTS = 50
HEADER_NAMES = ("From", "Reply-To", "Message-ID", "In-Reply-To", "References")
MAX_TEXT_LENGTH = 4096
MAX_BODY_LENGTH = 100_000
TEXT_CHANNELS = (OutgoingMessage.Channel.SMS, OutgoingMessage.Channel.WHATSAPP)
# A text message's template name, kept among its headers (an e-mail's only are sent).
TEXT_TEMPLATE = "template"


# --- a record's conversation with its customer -----------------------------------------------


@dataclass(frozen=True)
class CustomerThread:
    """How an e-mail about a record goes to its customer: in his language, with the headers
    that put it in his conversation (From, Reply-To, Message-ID, In-Reply-To, References), and
    ``queued(message)`` to run once it is queued (the app records its Message-ID, so his answer
    threads)."""

    language: str
    headers: dict
    queued: Callable[[OutgoingMessage], None]


# model → (record, recipients) → CustomerThread, or None when the e-mail is not to its customer
_customer_threads: dict[type, Callable[[object, list[str]], CustomerThread | None]] = {}


def register_customer_thread(model, thread) -> None:
    """Let an app say how e-mails about ``model``'s records go to their customer (tickets:
    kesher.service): every template e-mail about one that goes to him follows it."""
    _customer_threads[model] = thread


# --- email templates ---------------------------------------------------------------------------


def _check_template(data: dict, current: EmailTemplate | None = None) -> dict:
    """Sanitize the bodies and refuse unknown merge fields, naming the field (issue 5 item 9)."""
    data = dict(data)
    entity = data.get("entity", getattr(current, "entity", "")) or ""
    if entity and entity not in linkable_keys():
        raise ValidationError({"entity": [_("Choose the kind of record this is about.")]})
    for name in ("body_he", "body_en"):
        if isinstance(data.get(name), str):
            # A TextField's max_length binds only forms; the API and automation come here too.
            if len(data[name]) > MAX_BODY_LENGTH:
                raise ValidationError(
                    {name: [_("At most %(n)s characters.") % {"n": MAX_BODY_LENGTH}]}
                )
            data[name] = sanitize(clean_text(data[name]))
    texts = {
        name: data.get(name, getattr(current, name, ""))
        for name in ("subject_he", "subject_en", "body_he", "body_en")
    }
    merge.require_valid({k: v for k, v in texts.items() if isinstance(v, str)}, entity)
    return data


@transaction.atomic
def email_template_create(*, actor, data: dict, m2m: dict | None = None) -> EmailTemplate:
    """An email template; its HTML is sanitized and its merge fields must exist."""
    return record_create("email-templates", actor=actor, data=_check_template(data), m2m=m2m)


@transaction.atomic
def email_template_update(
    template, *, actor, data: dict, m2m=None, expected_version=None
) -> EmailTemplate:
    data = _check_template(data, template)
    return record_update(
        template, actor=actor, data=data, m2m=m2m, expected_version=expected_version
    )


# --- queuing messages --------------------------------------------------------------------------


def _check_key(idempotency_key: str, source: str) -> None:
    errors = {}
    if not isinstance(idempotency_key, str) or not idempotency_key.strip():
        errors["idempotency_key"] = [_("This field is required.")]
    elif len(idempotency_key) > 200:
        errors["idempotency_key"] = [_("At most 200 characters.")]
    if not isinstance(source, str) or not source.strip():
        errors["source"] = [_("This field is required.")]
    if errors:
        raise ValidationError(errors)


def _once(model, idempotency_key: str, make):
    """The row of ``idempotency_key``: the one already made, or a new one from ``make()``.
    Two callers racing with one key both get the single row the unique index lets in."""
    existing = model.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return make()
    except IntegrityError:
        return model.objects.get(idempotency_key=idempotency_key)


def _link(record) -> tuple[str, int | None]:
    if record is None or not registry.has_model(record):
        return "", None
    return registry.for_model(record).key, record.pk


def _initial_status() -> str:
    # The practice environment sends nothing to the outside world (REQ IM-6).
    if settings.KESHER_PRACTICE:
        return OutgoingMessage.Status.SUPPRESSED
    return OutgoingMessage.Status.QUEUED


def _clean_emails(to) -> list[str]:
    if isinstance(to, str) or not isinstance(to, list | tuple) or not to:
        raise ValidationError({"to": [_("Give a list of email addresses.")]})
    if len(to) > MAX_RECIPIENTS:
        raise ValidationError({"to": [_("At most %(n)s recipients.") % {"n": MAX_RECIPIENTS}]})
    cleaned = []
    for address in to:
        address = clean_text(address) if isinstance(address, str) else ""
        try:
            validate_email(address)
        except ValidationError:
            raise ValidationError(
                {"to": [_("Not an email address: %(value)s") % {"value": address[:100]}]}
            ) from None
        if address not in cleaned:
            cleaned.append(address)
    return cleaned


@transaction.atomic
def send_email(
    *,
    template_id: int,
    record,
    to: list[str],
    language: str | None = None,
    source: str,
    idempotency_key: str,
    sender=None,
) -> OutgoingMessage:
    """Queue the email ``template_id`` makes about ``record`` to ``to``; the worker sends it
    after commit. The same ``idempotency_key`` again returns the first message.

    Its merge fields show only what every reader may see: the users it goes to and
    ``sender`` (None: the system, as automation sends), whose rights govern what an address
    of no user receives (decision 0047)."""
    _check_key(idempotency_key, source)
    existing = OutgoingMessage.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    template = None
    if isinstance(template_id, int) or (isinstance(template_id, str) and template_id.isdigit()):
        template = EmailTemplate.objects.filter(pk=int(template_id), active=True).first()
    if template is None:
        raise ValidationError({"template_id": [_("No such active email template.")]})
    link_type, link_id = _link(record)
    if template.entity and record is not None and link_type != template.entity:
        raise ValidationError({"record": [_("This template is for records of another kind.")]})
    recipients = _clean_emails(to)
    thread_of = _customer_threads.get(type(record)) if record is not None else None
    thread = thread_of(record, recipients) if thread_of else None
    if thread is not None and language is None:
        language = thread.language
    email = compose(template, record, language, merge.readers_of(recipients, sender))
    now = timezone.now()
    headers = thread.headers if thread is not None else {}
    message = _once(
        OutgoingMessage,
        idempotency_key,
        lambda: OutgoingMessage.objects.create(
            channel=OutgoingMessage.Channel.EMAIL,
            to=",".join(recipients),
            subject=email.subject,
            body_html=email.html,
            body_text=email.text,
            language=email.language,
            headers={k: str(v)[:2000] for k, v in headers.items() if k in HEADER_NAMES and v},
            template=template,
            status=_initial_status(),
            next_attempt_at=now,
            link_type=link_type,
            link_id=link_id,
            source=source[:300],
            idempotency_key=idempotency_key,
            created_at=now,
        ),
    )
    if thread is not None and message.headers.get("Message-ID") == headers.get("Message-ID"):
        thread.queued(message)  # this call's message, not one a racing call queued first
    return message


@transaction.atomic
def send_email_message(
    *,
    to: list[str],
    subject: str,
    body_html: str,
    language: str = "he",
    record=None,
    headers: dict | None = None,
    source: str,
    idempotency_key: str,
) -> OutgoingMessage:
    """Queue an email written by a person (a reply on a ticket), not made from a template: its
    HTML sanitized, a plain-text alternative made from it, right to left for Hebrew, with the
    threading headers given (``HEADER_NAMES``). The same ``idempotency_key`` again returns the
    first message; the practice environment suppresses it (REQ IN-1, IM-6)."""
    _check_key(idempotency_key, source)
    existing = OutgoingMessage.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    recipients = _clean_emails(to)
    subject = " ".join(clean_text(subject or "").split())[:300]
    body = sanitize(clean_text(body_html or ""))
    errors = {}
    if not subject:
        errors["subject"] = [_("This field is required.")]
    if not body.strip():
        errors["body"] = [_("This field is required.")]
    elif len(body) > MAX_BODY_LENGTH:
        errors["body"] = [_("At most %(n)s characters.") % {"n": MAX_BODY_LENGTH}]
    if errors:
        raise ValidationError(errors)
    language = language if language in ("he", "en") else "he"
    kept = {k: str(v)[:2000] for k, v in (headers or {}).items() if k in HEADER_NAMES and v}
    link_type, link_id = _link(record)
    now = timezone.now()
    return _once(
        OutgoingMessage,
        idempotency_key,
        lambda: OutgoingMessage.objects.create(
            channel=OutgoingMessage.Channel.EMAIL,
            to=",".join(recipients),
            subject=subject,
            body_html=wrap_html(body, language),
            body_text=html_to_text(body),
            language=language,
            headers=kept,
            status=_initial_status(),
            next_attempt_at=now,
            link_type=link_type,
            link_id=link_id,
            source=source[:300],
            idempotency_key=idempotency_key,
            created_at=now,
        ),
    )


@transaction.atomic
def send_text(
    *,
    channel: str,
    to: str,
    body: str,
    record=None,
    source: str,
    idempotency_key: str,
    template: str = "",
) -> OutgoingMessage:
    """Queue an SMS or WhatsApp message to a phone number (normalized to E.164, REQ IN-3);
    ``template``: the approved WhatsApp template the body is (its name goes to the gateway,
    decision 0124)."""
    _check_key(idempotency_key, source)
    existing = OutgoingMessage.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    errors = {}
    if channel not in TEXT_CHANNELS:
        errors["channel"] = [_("Choose SMS or WhatsApp.")]
    number = ""
    try:
        number = normalize_phone(to if isinstance(to, str) else "")
    except ValidationError as error:
        errors["to"] = error.messages
    if not number and "to" not in errors:
        errors["to"] = [_("Enter a valid phone number.")]
    body = clean_text(body) if isinstance(body, str) else ""
    if not body:
        errors["body"] = [_("This field is required.")]
    elif len(body) > MAX_TEXT_LENGTH:
        errors["body"] = [_("At most %(n)s characters.") % {"n": MAX_TEXT_LENGTH}]
    if errors:
        raise ValidationError(errors)
    link_type, link_id = _link(record)
    now = timezone.now()
    return _once(
        OutgoingMessage,
        idempotency_key,
        lambda: OutgoingMessage.objects.create(
            channel=channel,
            to=number,
            body_text=body,
            language="",
            headers={TEXT_TEMPLATE: template[:100]} if template else {},
            status=_initial_status(),
            next_attempt_at=now,
            link_type=link_type,
            link_id=link_id,
            source=source[:300],
            idempotency_key=idempotency_key,
            created_at=now,
        ),
    )


def _check_url(url) -> str:
    url = clean_text(url) if isinstance(url, str) else ""
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise ValidationError({"url": [_("Enter an http or https URL.")]}) from None
    try:
        validate_public_url(url)
    except ValidationError as refused:
        raise ValidationError({"url": refused.messages}) from None
    if len(url) > 500:
        raise ValidationError({"url": [_("At most 500 characters.")]})
    return url


@transaction.atomic
def webhook_enqueue(
    *,
    url: str,
    secret: str,
    event: str,
    payload: dict,
    source: str,
    idempotency_key: str,
    subscription: WebhookSubscription | None = None,
) -> WebhookDelivery:
    """Queue one signed POST of ``payload`` to ``url``; the worker sends it after commit and
    retries it with back-off. The same ``idempotency_key`` again returns the first delivery."""
    _check_key(idempotency_key, source)
    existing = WebhookDelivery.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    url = _check_url(url)
    errors = {}
    # An empty secret is allowed (the delivery then goes unsigned): a rule's author may call a
    # receiver that checks nothing.
    if not isinstance(secret, str) or len(secret) > 200:
        errors["secret"] = [_("At most 200 characters.")]
    if not isinstance(event, str) or not event.strip() or len(event) > 100:
        errors["event"] = [_("Name the event (at most 100 characters).")]
    if not isinstance(payload, dict):
        errors["payload"] = [_("The payload must be a JSON object.")]
    if errors:
        raise ValidationError(errors)
    try:
        body = encode(payload)
    except (TypeError, ValueError):
        raise ValidationError({"payload": [_("The payload must be a JSON object.")]}) from None
    now = timezone.now()
    status = WebhookDelivery.Status.PENDING
    last_error = ""
    if settings.KESHER_PRACTICE:
        status, last_error = WebhookDelivery.Status.DEAD, _("Practice environment: not sent.")
    return _once(
        WebhookDelivery,
        idempotency_key,
        lambda: WebhookDelivery.objects.create(
            subscription=subscription,
            url=url,
            secret=secret,
            event=event.strip(),
            payload=payload,
            body=body,
            status=status,
            last_error=last_error,
            next_attempt_at=now,
            source=source[:300],
            idempotency_key=idempotency_key,
            created_at=now,
        ),
    )


# --- retries -----------------------------------------------------------------------------------


def _send_again(model, pk: int, *, given_up: str, waiting: str, refusal, actor):
    """Queue a row the worker gave up on for a fresh round of attempts (same row and id)."""
    # Locked: the worker may be changing this row's status at the same moment.
    locked = model.objects.select_for_update().get(pk=pk)
    if locked.status != given_up:
        raise ValidationError({"status": [refusal]})
    locked.status = waiting
    locked.attempts = 0
    locked.next_attempt_at = timezone.now()
    locked.save(update_fields=["status", "attempts", "next_attempt_at"])
    write_audit(locked, actor=actor, action="update", changes={"status": [given_up, waiting]})
    return locked


@transaction.atomic
def message_retry(message: OutgoingMessage, *, actor) -> OutgoingMessage:
    """Queue a failed message again, with a fresh round of attempts."""
    return _send_again(
        OutgoingMessage,
        message.pk,
        given_up=OutgoingMessage.Status.FAILED,
        waiting=OutgoingMessage.Status.QUEUED,
        refusal=_("Only a failed message can be sent again."),
        actor=actor,
    )


@transaction.atomic
def webhook_delivery_retry(delivery: WebhookDelivery, *, actor) -> WebhookDelivery:
    """Send a dead-letter delivery again (same delivery id), with a fresh round of attempts."""
    return _send_again(
        WebhookDelivery,
        delivery.pk,
        given_up=WebhookDelivery.Status.DEAD,
        waiting=WebhookDelivery.Status.PENDING,
        refusal=_("Only a dead-letter delivery can be sent again."),
        actor=actor,
    )


# --- sending from the UI -----------------------------------------------------------------------


def visible_record(entity_key: str, record_id, actor):
    """The record ``actor`` may see, or ValidationError (the same answer for "missing")."""
    from kesher.platform.records.links import resolve_link

    record = resolve_link(entity_key, record_id, actor)
    if record is None:
        raise ValidationError({"link_id": [_("Choose the record this is about.")]})
    return record


@transaction.atomic
def send_test_email(
    *, actor, template: EmailTemplate, entity_key: str, record_id, language: str
) -> OutgoingMessage:
    """Send ``template`` about a record the actor may see to the actor's own address."""
    if not actor.email:
        raise ValidationError({"to": [_("Your user has no email address.")]})
    record = visible_record(entity_key, record_id, actor) if record_id else None
    return send_email(
        template_id=template.pk,
        record=record,
        to=[actor.email],
        language=language,
        source=_("test by %(user)s") % {"user": actor},
        idempotency_key=f"test:{template.pk}:{actor.pk}:{secrets.token_hex(8)}",
        sender=actor,
    )


# --- webhook subscriptions ---------------------------------------------------------------------


def _check_subscription(data: dict, current: WebhookSubscription | None = None) -> dict:
    cleaned = {}
    errors = {}
    unknown = set(data) - {"name", "url", "entities", "events", "active"}
    for name in sorted(unknown):
        errors[name] = [_("Unknown field.")]
    if "name" in data or current is None:
        name = clean_text(data.get("name")) if isinstance(data.get("name"), str) else ""
        if not name or len(name) > 100:
            errors["name"] = [_("Give a name of up to 100 characters.")]
        cleaned["name"] = name
    if "url" in data or current is None:
        try:
            cleaned["url"] = _check_url(data.get("url"))
        except ValidationError as error:
            errors.update(error.message_dict)
    if "entities" in data:
        entities = data["entities"] or []
        keys = set(registry.keys())
        if not isinstance(entities, list) or any(e not in keys for e in entities):
            errors["entities"] = [_("Choose kinds of record from the list.")]
        else:
            cleaned["entities"] = sorted(set(entities))
    if "events" in data or current is None:
        events = data.get("events")
        if (
            not isinstance(events, list)
            or not events
            or any(e not in WebhookSubscription.EVENTS for e in events)
        ):
            errors["events"] = [_("Choose at least one of: created, updated, deleted.")]
        else:
            cleaned["events"] = sorted(set(events))
    if "active" in data:
        if not isinstance(data["active"], bool):
            errors["active"] = [_("Must be true or false.")]
        else:
            cleaned["active"] = data["active"]
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def webhook_subscription_create(*, actor, data: dict) -> tuple[WebhookSubscription, str]:
    """A webhook and its new secret, which the caller shows once and Kesher never again."""
    cleaned = _check_subscription(data)
    secret = secrets.token_urlsafe(32)
    subscription = WebhookSubscription.objects.create(
        **cleaned, secret=secret, created_by=actor if getattr(actor, "pk", None) else None
    )
    write_audit(
        subscription,
        actor=actor,
        action="create",
        changes={k: [None, v] for k, v in cleaned.items()},
    )
    return subscription, secret


@transaction.atomic
def webhook_subscription_update(subscription, *, actor, data: dict) -> WebhookSubscription:
    cleaned = _check_subscription(data, subscription)
    locked = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    changes = {
        name: [getattr(locked, name), value]
        for name, value in cleaned.items()
        if getattr(locked, name) != value
    }
    for name, value in cleaned.items():
        setattr(locked, name, value)
    if changes:
        locked.save(update_fields=list(changes))
        write_audit(locked, actor=actor, action="update", changes=changes)
        return locked


@transaction.atomic
def webhook_subscription_delete(subscription, *, actor) -> None:
    """Stop a webhook; its past deliveries stay in the log."""
    write_audit(
        subscription, actor=actor, action="delete", changes={"url": [subscription.url, None]}
    )
    subscription.delete()

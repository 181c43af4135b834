"""Outgoing messages and webhooks: email templates, the message log, webhook subscriptions and
their deliveries (REQ IN-1, IN-3, AU-1; issue 5 items 4, 8, 9)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kesher.platform import stamps
from kesher.platform.models import KesherModel, localized
from kesher.platform.records.links import link_choices

__all__ = [
    "EmailTemplate",
    "OutgoingMessage",
    "WebhookDelivery",
    "WebhookSubscription",
]


class EmailTemplate(KesherModel):
    """An administrator's email with merge fields (``{{ name }}``, ``{{ custom.region }}``),
    in Hebrew and English; automation rules and people send it about a record (REQ AU-1)."""

    name = models.CharField(_("name"), max_length=100)
    entity = models.CharField(
        _("records of"),
        max_length=40,
        blank=True,
        default="",
        choices=link_choices,
        help_text=_("The kind of record it is about; its fields are the merge fields."),
    )
    subject_he = models.CharField(_("subject (Hebrew)"), max_length=200)
    subject_en = models.CharField(_("subject (English)"), max_length=200, blank=True)
    body_he = models.TextField(_("body (Hebrew)"), max_length=100_000)
    body_en = models.TextField(_("body (English)"), max_length=100_000, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("email template")
        verbose_name_plural = _("email templates")

    def __str__(self):
        return self.name

    @property
    def subject(self) -> str:
        return localized(self, "subject")


class MessageQuerySet(models.QuerySet):
    """Messages and deliveries are read by those granted the log (admins by default)."""

    grant_key = "messages"

    def visible_to(self, user):
        from kesher.platform.access import can

        return self if can(user, self.grant_key, "view") else self.none()


class WebhookQuerySet(MessageQuerySet):
    grant_key = "webhooks"


class OutgoingMessage(models.Model):
    """One email, SMS or WhatsApp message Kesher sends, from the moment it is queued; the
    worker delivers it after the writing transaction commits, never twice (issue 5 item 9)."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("email")
        SMS = "sms", _("SMS")
        WHATSAPP = "whatsapp", _("WhatsApp")

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        SUPPRESSED = "suppressed", _("suppressed")

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    to = models.CharField(_("to"), max_length=1000)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body_html = models.TextField(_("body (HTML)"), blank=True)
    body_text = models.TextField(_("body (text)"))
    # Threading and sender headers of a reply (From, Reply-To, Message-ID, In-Reply-To,
    # References), sent as they are; a WhatsApp message's approved template name
    # ("template", decision 0124); empty for other template and text messages.
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    language = models.CharField(_("language"), max_length=5, default="he")
    template = models.ForeignKey(
        EmailTemplate,
        verbose_name=_("template"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    link_type = models.CharField(_("about (type)"), max_length=40, blank=True, default="")
    link_id = models.BigIntegerField(_("about (record)"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=300)
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("outgoing message")
        verbose_name_plural = _("outgoing messages")
        indexes = [
            # The worker's claim: queued rows by when they are due.
            models.Index(fields=["status", "next_attempt_at"], name="message_due"),
            models.Index(fields=["link_type", "link_id", "-created_at"], name="message_link"),
            models.Index(fields=["-created_at", "-id"], name="message_recent"),
        ]

    def __str__(self):
        return f"{self.get_channel_display()} → {self.to}"

    @property
    def recipients(self) -> list[str]:
        return [r for r in self.to.split(",") if r]


class WebhookSubscription(models.Model):
    """An outside system that wants Kesher's record events (created / updated / deleted)
    POSTed to ``url``, signed with ``secret`` (issue 5 item 4; decision 0034)."""

    EVENTS = ("created", "updated", "deleted")

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=500)
    # Readable by the server, which signs with it; shown only once, when it is made.
    secret = models.CharField(_("secret"), max_length=200, editable=False)
    entities = models.JSONField(
        _("records of"), default=list, blank=True, help_text=_("Empty: every kind of record.")
    )
    events = models.JSONField(_("events"), default=list)
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = WebhookQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")

    def __str__(self):
        return self.name

    def wants(self, entity: str, event: str) -> bool:
        return (
            self.active and event in self.events and (not self.entities or entity in self.entities)
        )


class WebhookDelivery(models.Model):
    """One signed POST of one event to one URL, retried with back-off until it is delivered
    or lands in the dead-letter list; ``delivery_id`` lets receivers drop a repeat."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENDING = "sending", _("sending")
        DELIVERED = "delivered", _("delivered")
        DEAD = "dead", _("dead letter")

    delivery_id = models.UUIDField(_("delivery id"), default=uuid.uuid4, unique=True)
    subscription = models.ForeignKey(
        WebhookSubscription,
        verbose_name=_("webhook"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deliveries",
    )
    url = models.URLField(_("URL"), max_length=500)
    secret = models.CharField(_("secret"), max_length=200, editable=False)
    event = models.CharField(_("event"), max_length=100)
    payload = models.JSONField(_("payload"))
    # The exact bytes that are signed and sent, made once so every retry sends the same body.
    body = models.TextField(_("body"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(
        _("last status code"), null=True, blank=True
    )
    last_error = models.TextField(_("last error"), blank=True)
    source = models.CharField(_("source"), max_length=300)
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    objects = WebhookQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="webhook_due"),
            models.Index(fields=["-created_at", "-id"], name="webhook_recent"),
        ]

    def __str__(self):
        return f"{self.event} → {self.url}"


# Whether any webhook is active is asked on every save; each process keeps the answer until a
# subscription changes.
WEBHOOKS_STAMP = "webhooks"
stamps.renew_on_change(WEBHOOKS_STAMP, WebhookSubscription)

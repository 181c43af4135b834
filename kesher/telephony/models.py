"""Telephony (REQ IN-2): the office phone system (PBX) Kesher hears calls from and dials
through, each user's extension on it, every call it told of, and the screen pops waiting to
reach a browser."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kesher.platform.models import KesherModel
from kesher.platform.outgoing import validate_public_url

__all__ = ["Call", "PbxConnection", "PhoneExtension", "PopEvent", "WebhookReceipt"]


def new_secret() -> str:
    return secrets.token_urlsafe(32)


class PbxConnection(KesherModel):
    """An office phone system (a cloud PBX) that tells Kesher of calls by webhook and may dial
    for it: where its originate API is, the secret its requests are checked with, and how its
    fields map to Kesher's (REQ IN-2). Administrators' data."""

    class Provider(models.TextChoices):
        GENERIC = "generic", _("Generic (Kesher's JSON)")
        VOICENTER = "voicenter", _("Voicenter")
        YEMOT = "yemot", _("Yemot HaMashiach (ימות המשיח)")

    class Auth(models.TextChoices):
        HMAC = "hmac", _("HMAC signature with a timestamp")
        SECRET = "secret", _("Shared secret")

    name = models.CharField(_("name"), max_length=100)
    provider = models.CharField(
        _("provider"), max_length=20, choices=Provider.choices, default=Provider.GENERIC
    )
    auth = models.CharField(
        _("authentication"), max_length=10, choices=Auth.choices, default=Auth.HMAC
    )
    secret = models.CharField(
        _("secret"),
        max_length=200,
        default=new_secret,
        help_text=_("The same secret is set in the phone system; at least 16 characters."),
    )
    # Only a public address unless the operator allows the host (decision 0113).
    originate_url = models.URLField(
        _("originate URL"),
        max_length=500,
        blank=True,
        validators=[validate_public_url],
        help_text=_("Empty: click-to-dial opens the computer's phone application (tel: link)."),
    )
    field_map = models.JSONField(
        _("field mapping"),
        default=dict,
        blank=True,
        help_text=_("Kesher's field name → the phone system's; empty: the provider's mapping."),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("PBX connection")
        verbose_name_plural = _("PBX connections")

    def __str__(self):
        return self.name


class PhoneExtension(KesherModel):
    """A user's extension on a phone system: the calls that ring it pop in his browser, and
    click-to-dial rings it first (REQ IN-2)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="phone_extension",
    )
    connection = models.ForeignKey(
        PbxConnection,
        verbose_name=_("PBX connection"),
        on_delete=models.CASCADE,
        related_name="extensions",
    )
    extension = models.CharField(_("extension"), max_length=32)
    dial_through_pbx = models.BooleanField(
        _("dial through the PBX"),
        default=False,
        help_text=_("Clicking a number asks the phone system to ring this extension first."),
    )

    class Meta:
        ordering = ["extension", "id"]
        verbose_name = _("phone extension")
        verbose_name_plural = _("phone extensions")
        # Not unique: an extension several users share (a reception group) pops for each.
        indexes = [models.Index(fields=["connection", "extension"], name="telephony_extension")]

    def __str__(self):
        return self.extension


class Call(models.Model):
    """One call a phone system told of, across its events (ringing → answered → ended): one row
    per the PBX's call id, and one call interaction on the timeline (REQ IN-2, seed 003)."""

    class Status(models.TextChoices):
        RINGING = "ringing", _("Ringing")
        ANSWERED = "answered", _("Answered")
        ENDED = "ended", _("Ended")

    # A phone system whose calls are logged is deactivated, not deleted: its calls stay.
    connection = models.ForeignKey(
        PbxConnection, verbose_name=_("PBX connection"), on_delete=models.PROTECT
    )
    call_id = models.CharField(_("call id"), max_length=200)
    direction = models.CharField(_("direction"), max_length=3)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    answered = models.BooleanField(_("answered"), default=False)
    caller = models.CharField(_("from"), max_length=40, blank=True)
    callee = models.CharField(_("to"), max_length=40, blank=True)
    extension = models.CharField(_("extension"), max_length=32, blank=True)
    id_number = models.CharField(_("ID number typed"), max_length=9, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    link_type = models.CharField(_("record kind"), max_length=64, blank=True)
    link_id = models.PositiveBigIntegerField(_("record"), null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(_("duration (seconds)"), null=True, blank=True)
    recording_url = models.URLField(_("recording"), max_length=1000, blank=True)
    interaction = models.ForeignKey(
        "activities.Interaction",
        verbose_name=_("interaction"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    popped = models.BooleanField(_("popped"), default=False)
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        constraints = [
            models.UniqueConstraint(fields=["connection", "call_id"], name="telephony_call_once")
        ]
        # A person's calls, found by his data-subject request (issue 25): without it, a scan.
        indexes = [models.Index(fields=["link_type", "link_id"], name="telephony_call_link")]

    def __str__(self):
        return self.call_id


class WebhookReceipt(models.Model):
    """A signed request already accepted: the same signature again is a replay (refused)."""

    connection = models.ForeignKey(PbxConnection, on_delete=models.CASCADE, related_name="+")
    digest = models.CharField(max_length=64)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "digest"], name="telephony_receipt_once")
        ]

    def __str__(self):
        return self.digest


class PopEvent(models.Model):
    """A screen pop for one user's browsers: kept briefly, so that every server's event stream
    can read it (the notification carries only its id) and a browser reconnecting after a blip
    gets what it missed (SSE ``Last-Event-ID``)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"pop {self.pk} for user {self.user_id}"

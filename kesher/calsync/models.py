"""A user's calendar connection to a CalDAV server, the administrator's sync policy, and which
server event each synced meeting is (REQ OR-6, SA-13, OR-5; decision 0110)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

__all__ = ["CalendarConnection", "SyncPolicy", "SyncedEvent"]


class SyncPolicy(models.Model):
    """The administrator's rule of what may reach personal devices (one row, REQ OR-5)."""

    enabled = models.BooleanField(_("calendar sync allowed"), default=True)
    from_device = models.BooleanField(
        _("accept changes made on the device"),
        default=True,
        help_text=_(
            "Off: Kesher's meetings are copied to the device and changes there are ignored."
        ),
    )
    send_details = models.BooleanField(
        _("send the meeting's details"),
        default=False,
        help_text=_("Off: the device gets the subject and time only, never the notes."),
    )
    send_customer = models.BooleanField(
        _("send the customer's name"),
        default=False,
        help_text=_("Off: the record the meeting is about is not named on the device."),
    )
    record_kinds = models.JSONField(
        _("meetings about"),
        default=list,
        blank=True,
        help_text=_("Only meetings about these kinds of records sync; empty: every meeting."),
    )
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("calendar sync policy")
        verbose_name_plural = _("calendar sync policies")

    def __str__(self):
        return str(_("calendar sync policy"))

    @classmethod
    def current(cls) -> SyncPolicy:
        return cls.objects.order_by("pk").first() or cls()


class CalendarConnection(models.Model):
    """One user's CalDAV calendar: where it is, how to sign in (the password encrypted, never
    shown back), where the last sync stopped, and its last problem."""

    class Problem(models.TextChoices):
        NONE = "", _("None")
        SIGN_IN = "sign_in", _("The server refused the user name or password")
        UNREACHABLE = "unreachable", _("The server could not be reached")
        SERVER = "server", _("The server answered with an error; trying again later")
        RATE_LIMITED = "rate_limited", _("The server asked to slow down; trying again later")
        NOT_CALENDAR = "not_calendar", _("The address is not a calendar")
        EVENT = "event", _("An event could not be read")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="calendar_connection",
    )
    url = models.URLField(
        _("calendar address"),
        max_length=500,
        help_text=_("The CalDAV address of the calendar (or of the account: its first calendar)."),
    )
    username = models.CharField(_("user name"), max_length=200)
    secret = models.TextField(editable=False)  # the password, encrypted (secrets.py)
    active = models.BooleanField(_("sync on"), default=True)
    calendar_url = models.URLField(max_length=500, blank=True, editable=False)
    sync_token = models.CharField(max_length=500, blank=True, editable=False)
    due_at = models.DateTimeField(null=True, blank=True, editable=False)
    retry_at = models.DateTimeField(null=True, blank=True, editable=False)
    failures = models.PositiveIntegerField(default=0, editable=False)
    last_sync_at = models.DateTimeField(_("last sync"), null=True, blank=True, editable=False)
    last_sent = models.PositiveIntegerField(_("sent in the last sync"), default=0)
    last_received = models.PositiveIntegerField(_("received in the last sync"), default=0)
    problem = models.CharField(
        _("last problem"), max_length=20, choices=Problem.choices, blank=True
    )
    problem_detail = models.CharField(_("problem details"), max_length=500, blank=True)
    problem_at = models.DateTimeField(_("problem at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("calendar connection")
        verbose_name_plural = _("calendar connections")
        indexes = [models.Index(fields=["active", "due_at"], name="calsync_due")]

    def __str__(self):
        return f"{self.user} · {self.url}"


class SyncedEvent(models.Model):
    """A meeting and the server event it is in one user's calendar: its address, the ETag the
    server last gave it, and the meeting's version then (what changed since, on which side)."""

    connection = models.ForeignKey(
        CalendarConnection, on_delete=models.CASCADE, related_name="events"
    )
    interaction = models.ForeignKey(
        "activities.Interaction",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uid = models.CharField(max_length=255)
    href = models.CharField(max_length=500)
    etag = models.CharField(max_length=200, blank=True)
    version = models.PositiveIntegerField(default=0)
    shape = models.CharField(max_length=64, blank=True)  # the policy's shape it was sent in
    # An event from the device Kesher does not take (recurring, all-day, not allowed): kept
    # known so that it is neither read again nor ever deleted by Kesher.
    ignored = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "href"], name="calsync_event_href"),
            models.UniqueConstraint(fields=["connection", "uid"], name="calsync_event_uid"),
        ]

    def __str__(self):
        return self.uid

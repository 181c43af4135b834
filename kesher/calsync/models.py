"""A user's connections to a CalDAV calendar and a CardDAV address book, the administrator's sync
policy, and which server object each synced meeting or contact is (REQ OR-6, SA-13, OR-5;
decisions 0110 and 0123). Both connections share one shape (``DavConnection``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

__all__ = [
    "CalendarConnection",
    "ContactConnection",
    "DavConnection",
    "Problem",
    "SyncPolicy",
    "SyncedCard",
    "SyncedEvent",
]


class Problem(models.TextChoices):
    """A connection's last problem, kept until a sync succeeds."""

    NONE = "", _("None")
    SIGN_IN = "sign_in", _("The server refused the user name or password")
    UNREACHABLE = "unreachable", _("The server could not be reached")
    SERVER = "server", _("The server answered with an error; trying again later")
    RATE_LIMITED = "rate_limited", _("The server asked to slow down; trying again later")
    NOT_CALENDAR = "not_calendar", _("The address is not a calendar")
    EVENT = "event", _("An event could not be read")
    NOT_ADDRESS_BOOK = "not_address_book", _("The address is not an address book")


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

    class ContactScope(models.TextChoices):
        NONE = "none", _("No contacts")
        ACCOUNTS_OWNED = "accounts_owned", _("Contacts of the accounts the user owns")
        OWNED = "owned", _("Contacts the user owns")
        VISIBLE = "visible", _("Every contact the user may see")
        VIEW = "view", _("The contacts of a saved view")

    contacts_scope = models.CharField(
        _("contacts that may reach devices"),
        max_length=20,
        choices=ContactScope.choices,
        default=ContactScope.ACCOUNTS_OWNED,
        help_text=_("Always only contacts the user may see in Kesher."),
    )
    contacts_view = models.ForeignKey(
        "platform.SavedView",
        verbose_name=_("saved view of contacts"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("A shared view of contacts; used when the contacts are those of a view."),
    )
    contacts_from_device = models.BooleanField(
        _("accept contact changes made on the device"),
        default=True,
        help_text=_(
            "Off: Kesher's contacts are copied to the device and changes there are ignored."
        ),
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


class DavConnection(models.Model):
    """One user's connection to a DAV collection (a CalDAV calendar, a CardDAV address book):
    where it is, how to sign in (the password encrypted, never shown back), where the last sync
    stopped, when it is due, and its last problem (decisions 0110, 0123)."""

    Problem = Problem

    url = models.URLField(_("address"), max_length=500)
    username = models.CharField(_("user name"), max_length=200)
    secret = models.TextField(editable=False)  # the password, encrypted (secrets.py)
    active = models.BooleanField(_("sync on"), default=True)
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

    # The collection the run syncs (found once from ``url``), by the subclass's own field name.
    collection_field = ""

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.user} · {self.url}"  # type: ignore[attr-defined]

    @property
    def collection_url(self) -> str:
        return getattr(self, self.collection_field)

    @collection_url.setter
    def collection_url(self, value: str) -> None:
        setattr(self, self.collection_field, value)


class CalendarConnection(DavConnection):
    """One user's CalDAV calendar."""

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
    calendar_url = models.URLField(max_length=500, blank=True, editable=False)

    collection_field = "calendar_url"

    class Meta:
        verbose_name = _("calendar connection")
        verbose_name_plural = _("calendar connections")
        indexes = [models.Index(fields=["active", "due_at"], name="calsync_due")]


class ContactConnection(DavConnection):
    """One user's CardDAV address book (decision 0123)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="contact_connection",
    )
    url = models.URLField(
        _("address book address"),
        max_length=500,
        help_text=_(
            "The CardDAV address of the address book (or of the account: its first address book)."
        ),
    )
    addressbook_url = models.URLField(max_length=500, blank=True, editable=False)

    collection_field = "addressbook_url"

    class Meta:
        verbose_name = _("address book connection")
        verbose_name_plural = _("address book connections")
        indexes = [models.Index(fields=["active", "due_at"], name="calsync_cards_due")]


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


class SyncedCard(models.Model):
    """A contact and the vCard it is in one user's address book: its address, the ETag the
    server last gave it, the contact's version then, and the fields as they were sent (so that
    a change on each side is known field by field — decision 0123's conflict rule)."""

    connection = models.ForeignKey(
        ContactConnection, on_delete=models.CASCADE, related_name="cards"
    )
    contact = models.ForeignKey(
        "customers.Contact", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uid = models.CharField(max_length=255)
    href = models.CharField(max_length=500)
    etag = models.CharField(max_length=200, blank=True)
    version = models.PositiveIntegerField(default=0)
    sent = models.JSONField(default=dict, blank=True)  # the synced fields as last agreed
    # Deleted on the device (the contact is not sent there again) or a card Kesher does not
    # take (broken, too large, not allowed): known, so neither read again nor deleted by Kesher.
    ignored = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "href"], name="calsync_card_href"),
            models.UniqueConstraint(fields=["connection", "uid"], name="calsync_card_uid"),
        ]

    def __str__(self):
        return self.uid

"""Writes of calendar and contact sync (decisions 0110, 0123): a user's connections — his CalDAV
calendar and his CardDAV address book, one shape — the administrator's policy, and when the
worker syncs: soon after a meeting or a contact changes, and every ``KESHER_CALSYNC_MINUTES``."""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kesher.calsync.carddav import connect_addressbook, sync_contacts
from kesher.calsync.models import (
    CalendarConnection,
    ContactConnection,
    DavConnection,
    Problem,
    SyncedCard,
    SyncedEvent,
    SyncPolicy,
)
from kesher.calsync.secrets import decrypt, encrypt
from kesher.calsync.sync import ProviderError, connect, sync_connection
from kesher.platform import stamps
from kesher.platform.access import is_admin
from kesher.platform.outgoing import validate_public_url
from kesher.platform.records.audit import register_fact
from kesher.platform.records.services import write_audit

__all__ = [
    "connection_delete",
    "connection_save",
    "connection_sync_now",
    "connection_test",
    "contact_changed",
    "meeting_changed",
    "policy_update",
    "sync_due",
]

logger = logging.getLogger("kesher.calsync")
# A user's audit entries say when he connected, moved or disconnected his calendar.
CONNECTION = register_fact("calendar_connection", gettext_lazy("calendar connection"))
CARDS_CONNECTION = register_fact("contact_connection", gettext_lazy("address book connection"))


@dataclass(frozen=True)
class Kind:
    """What differs between a calendar and an address book connection; the rest is shared."""

    model: type[DavConnection]
    mappings: str  # the related name of what was synced in it
    fact: str
    find: Any  # (url, username, password) -> the collection's address; ProviderError if none
    run: Any  # (connection, policy) -> a run's result
    enter_url: Any
    enter_username: Any
    enter_password: Any
    connect_first: Any
    practice: Any


KINDS = {
    "calendar": Kind(
        model=CalendarConnection,
        mappings="events",
        fact=CONNECTION,
        find=lambda url, username, password: str(connect(url, username, password).url),
        run=lambda connection, policy: sync_connection(connection, policy),
        enter_url=gettext_lazy("Enter the calendar's address, starting with https://."),
        enter_username=gettext_lazy("Enter the user name for the calendar."),
        enter_password=gettext_lazy("Enter the calendar's password."),
        connect_first=gettext_lazy("Connect a calendar first."),
        practice=gettext_lazy("The practice environment never connects to a real calendar."),
    ),
    "contacts": Kind(
        model=ContactConnection,
        mappings="cards",
        fact=CARDS_CONNECTION,
        find=lambda url, username, password: connect_addressbook(url, username, password)[1],
        run=lambda connection, policy: sync_contacts(connection, policy),
        enter_url=gettext_lazy("Enter the address book's address, starting with https://."),
        enter_username=gettext_lazy("Enter the user name for the address book."),
        enter_password=gettext_lazy(
            "Enter the address book's password (or connect a calendar with the same user name "
            "first: its password is used)."
        ),
        connect_first=gettext_lazy("Connect an address book first."),
        practice=gettext_lazy("The practice environment never connects to a real address book."),
    ),
}

# A change is synced after this pause, so that a burst of edits makes one run (debounce).
SETTLE = datetime.timedelta(seconds=5)
RUNS_PER_TICK = 50
# Renewed when a connection is made, switched on or off, or removed — not on each sync.
STAMP = "calsync"


def any_active_connection(kind: str = "calendar") -> bool:
    """Whether anyone syncs a calendar (an address book), read once per process until a
    connection is made or removed: every meeting's (contact's) write asks it, and most installs
    have no connection."""
    model = KINDS[kind].model
    return stamps.cached(
        STAMP, f"any_active_{kind}", lambda: model.objects.filter(active=True).exists()
    )


def _sibling_secret(actor, kind: str, username: str) -> str:
    """The stored password of the user's other connection with the same user name (one
    account for the calendar and the contacts, typed once), or ""."""
    for other, spec in KINDS.items():
        if other != kind:
            found = spec.model.objects.filter(user=actor, username=username).first()
            if found is not None:
                return found.secret
    return ""


def connection_save(*, actor, data: dict, kind: str = "calendar") -> DavConnection:
    """Make or change the actor's own connection of ``kind`` ("calendar" or "contacts"). An
    empty password keeps the stored one (or, for a new connection, takes the password of his
    other connection with the same user name). Bad input raises ValidationError naming the
    field; nothing is written."""
    spec = KINDS[kind]
    existing = spec.model.objects.filter(user=actor).first()
    url = str(data.get("url") or "").strip()
    username = str(data.get("username") or "").strip()
    password = str(data.get("password") or "")
    errors = {}
    try:
        URLValidator(schemes=["https", "http"])(url)
    except ValidationError:
        errors["url"] = [str(spec.enter_url)]
    else:
        try:
            validate_public_url(url)
        except ValidationError as refused:
            errors["url"] = refused.messages
    if not username or len(username) > 200:
        errors["username"] = [str(spec.enter_username)]
    borrowed = ""
    if not password and existing is None:
        borrowed = _sibling_secret(actor, kind, username) if username else ""
        if not borrowed:
            errors["password"] = [str(spec.enter_password)]
    if len(password) > 500:
        errors["password"] = [_("The password is too long.")]
    if errors:
        raise ValidationError(errors)
    connection = existing or spec.model(user=actor)
    was_active = existing is not None and existing.active
    moved = existing is not None and (existing.url != url or existing.username != username)
    connection.url, connection.username = url, username
    if password:
        connection.secret = encrypt(password)
    elif borrowed:
        connection.secret = borrowed
    connection.active = bool(data.get("active", True))
    if existing is None or moved:
        # Another collection: what was sent to the old one is not in this one.
        connection.collection_url = ""
        connection.sync_token = ""
    connection.due_at = timezone.now()
    connection.save()
    if was_active != connection.active:
        stamps.renew(STAMP)
    if moved:
        getattr(connection, spec.mappings).all().delete()
    write_audit(
        actor,
        actor=actor,
        action="update",
        changes={spec.fact: [existing.url if existing else None, url]},
    )
    return connection


def connection_delete(*, actor, kind: str = "calendar") -> None:
    """Disconnect: Kesher stops syncing; what is already on the device stays there."""
    spec = KINDS[kind]
    connection = spec.model.objects.filter(user=actor).first()
    if connection is None:
        return
    url = connection.url
    connection.delete()
    stamps.renew(STAMP)
    write_audit(actor, actor=actor, action="update", changes={spec.fact: [url, None]})


def connection_test(*, actor, data: dict | None = None, kind: str = "calendar") -> tuple[bool, str]:
    """Reach the calendar (address book) with the given settings (or the stored ones) without
    syncing: (True, the collection's address) or (False, why not). Nothing is written."""
    spec = KINDS[kind]
    existing = spec.model.objects.filter(user=actor).first()
    data = data or {}
    url = str(data.get("url") or (existing.url if existing else "")).strip()
    username = str(data.get("username") or (existing.username if existing else "")).strip()
    password = str(data.get("password") or "") or (decrypt(existing.secret) if existing else "")
    if not password and existing is None and username:
        password = decrypt(_sibling_secret(actor, kind, username))
    if not url or not username or not password:
        return False, _("Enter the address, the user name and the password first.")
    try:
        URLValidator(schemes=["https", "http"])(url)
        validate_public_url(url)
    except ValidationError as error:
        if error.code == "address_refused":
            return False, " ".join(error.messages)
        return False, str(spec.enter_url)
    if settings.KESHER_PRACTICE:
        return False, str(spec.practice)
    try:
        found = spec.find(url, username, password)
    except ProviderError as failure:
        return False, str(Problem(failure.problem).label)
    return True, found


def connection_sync_now(*, actor, kind: str = "calendar") -> DavConnection:
    """Ask for a sync at the next tick (the page's "sync now")."""
    spec = KINDS[kind]
    connection = spec.model.objects.filter(user=actor).first()
    if connection is None:
        raise ValidationError({"url": [str(spec.connect_first)]})
    spec.model.objects.filter(pk=connection.pk).update(due_at=timezone.now(), retry_at=None)
    connection.refresh_from_db()
    return connection


def policy_update(*, actor, data: dict) -> SyncPolicy:
    """The administrator's sync policy (REQ OR-5); audited."""
    if not is_admin(actor):
        raise PermissionDenied
    from kesher.platform.records.links import linkable_keys

    policy = SyncPolicy.current()
    kinds = data.get("record_kinds", policy.record_kinds)
    allowed = set(linkable_keys())
    if not isinstance(kinds, list) or any(k not in allowed for k in kinds):
        raise ValidationError({"record_kinds": [_("Choose kinds of records from the list.")]})
    before = {}
    scope = data.get("contacts_scope", policy.contacts_scope)
    if scope not in SyncPolicy.ContactScope.values:
        raise ValidationError({"contacts_scope": [_("Choose which contacts from the list.")]})
    view = policy.contacts_view
    if "contacts_view" in data:
        from kesher.platform.models import SavedView

        chosen = data["contacts_view"]
        chosen = getattr(chosen, "pk", chosen)
        if chosen in (None, ""):
            view = None
        else:
            view = (
                SavedView.objects.filter(entity="contacts", shared=True, pk=chosen).first()
                if isinstance(chosen, int) or str(chosen).isdigit()
                else None
            )
            if view is None:
                raise ValidationError({"contacts_view": [_("Choose a shared view of contacts.")]})
    if scope == SyncPolicy.ContactScope.VIEW and view is None:
        raise ValidationError({"contacts_view": [_("Choose a shared view of contacts.")]})
    if scope != policy.contacts_scope:
        before["contacts_scope"] = [policy.contacts_scope, scope]
        policy.contacts_scope = scope
    if (view.pk if view else None) != policy.contacts_view_id:
        before["contacts_view"] = [
            str(policy.contacts_view) if policy.contacts_view else None,
            str(view) if view else None,
        ]
        policy.contacts_view = view
    for name in ("enabled", "from_device", "send_details", "send_customer", "contacts_from_device"):
        if name in data:
            value = data[name]
            if not isinstance(value, bool):
                raise ValidationError({name: [_("Answer yes or no.")]})
            if value != getattr(policy, name):
                before[name] = [getattr(policy, name), value]
                setattr(policy, name, value)
    if sorted(kinds) != sorted(policy.record_kinds):
        before["record_kinds"] = [policy.record_kinds, sorted(kinds)]
        policy.record_kinds = sorted(kinds)
    policy.updated_at = timezone.now()
    policy.save()
    if before:
        write_audit(policy, actor=actor, action="update", changes=before)
        # What may go to devices changed: every calendar and address book is brought in line.
        for spec in KINDS.values():
            spec.model.objects.filter(active=True).update(due_at=timezone.now())
    return policy


def meeting_changed(event) -> None:
    """After a meeting is written: the calendars of its owner, its participants and whoever it
    was sent to are synced after ``SETTLE`` (several changes, one run)."""
    if event.entity != "interactions" or not any_active_connection():
        return
    from kesher.activities.models import Interaction

    users = set()
    meeting = (
        Interaction.objects.filter(pk=event.object_id).select_related("kind").first()
        if event.name != "deleted"
        else None
    )
    if meeting is not None:
        if meeting.kind.value != "meeting":
            return
        users.add(meeting.owner_id)
        users.update(meeting.participant_users.values_list("pk", flat=True))
    sent_to = SyncedEvent.objects.filter(
        Q(interaction_id=event.object_id) | Q(interaction_id__isnull=True, ignored=False)
    ).values("connection_id")
    when = timezone.now() + SETTLE
    (
        CalendarConnection.objects.filter(active=True)
        .filter(Q(user_id__in=users) | Q(pk__in=sent_to))
        .filter(Q(due_at__isnull=True) | Q(due_at__gt=when))
        .update(due_at=when)
    )


def contact_changed(event) -> None:
    """After a contact (or an account, whose name is its contacts' organization) is written:
    the address books it was sent to, its owner's and its accounts' owners' are synced after
    ``SETTLE``."""
    if event.entity not in ("contacts", "accounts") or not any_active_connection("contacts"):
        return
    from kesher.customers.models import Account, Contact, ContactAccount

    users: set[int] = set()
    if event.entity == "contacts":
        contact_ids = [event.object_id]
        owner = Contact.objects.filter(pk=event.object_id).values_list("owner_id", flat=True)
        users.update(pk for pk in owner if pk)
        users.update(
            ContactAccount.objects.filter(contact_id=event.object_id).values_list(
                "account__owner_id", flat=True
            )
        )
    else:
        contact_ids = list(
            ContactAccount.objects.filter(account_id=event.object_id).values_list(
                "contact_id", flat=True
            )
        )
        users.update(Account.objects.filter(pk=event.object_id).values_list("owner_id", flat=True))
    sent_to = SyncedCard.objects.filter(contact_id__in=contact_ids).values("connection_id")
    when = timezone.now() + SETTLE
    (
        ContactConnection.objects.filter(active=True)
        .filter(Q(user_id__in=users) | Q(pk__in=sent_to))
        .filter(Q(due_at__isnull=True) | Q(due_at__gt=when))
        .update(due_at=when)
    )


def sync_due(now=None) -> int:
    """The worker's tick: sync the calendars and address books that are due — after a change,
    or every ``KESHER_CALSYNC_MINUTES`` — and not waiting after a failure. Returns how many
    ran. Nothing in the practice environment (REQ IM-6)."""
    if settings.KESHER_PRACTICE:
        return 0
    now = now or timezone.now()
    stale = now - datetime.timedelta(minutes=settings.KESHER_CALSYNC_MINUTES)
    policy = SyncPolicy.current()
    count = 0
    for kind, spec in KINDS.items():
        due = (
            spec.model.objects.filter(active=True, user__is_active=True)
            .filter(Q(due_at__lte=now) | Q(last_sync_at__isnull=True) | Q(last_sync_at__lte=stale))
            .filter(Q(retry_at__isnull=True) | Q(retry_at__lte=now))
            .select_related("user")
            .order_by("due_at", "last_sync_at")[:RUNS_PER_TICK]
        )
        for connection in due:
            try:
                spec.run(connection, policy)
            except ProviderError:
                pass  # kept on the connection, tried again at its retry time
            except Exception:
                logger.exception("%s connection %s: sync failed", kind, connection.pk)
                spec.model.objects.filter(pk=connection.pk).update(
                    retry_at=now + datetime.timedelta(minutes=settings.KESHER_CALSYNC_MINUTES),
                    due_at=None,
                )
            count += 1
    return count

"""Writes of calendar sync (decision 0110): a user's connection, the administrator's policy, and
when the worker syncs — soon after a meeting changes, and every ``KESHER_CALSYNC_MINUTES``."""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kesher.calsync.models import CalendarConnection, SyncedEvent, SyncPolicy
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
    "meeting_changed",
    "policy_update",
    "sync_due",
]

logger = logging.getLogger("kesher.calsync")
# A user's audit entries say when he connected, moved or disconnected his calendar.
CONNECTION = register_fact("calendar_connection", gettext_lazy("calendar connection"))

# A change is synced after this pause, so that a burst of edits makes one run (debounce).
SETTLE = datetime.timedelta(seconds=5)
RUNS_PER_TICK = 50
# Renewed when a connection is made, switched on or off, or removed — not on each sync.
STAMP = "calsync"


def any_active_connection() -> bool:
    """Whether anyone syncs a calendar, read once per process until a connection is made or
    removed: every interaction's write asks it, and most installs have no connection."""
    return stamps.cached(
        STAMP, "any_active", lambda: CalendarConnection.objects.filter(active=True).exists()
    )


def _check_password(password: str, existing: CalendarConnection | None) -> None:
    if not password and existing is None:
        raise ValidationError({"password": [_("Enter the calendar's password.")]})
    if len(password) > 500:
        raise ValidationError({"password": [_("The password is too long.")]})


def connection_save(*, actor, data: dict) -> CalendarConnection:
    """Make or change the actor's own connection. An empty password keeps the stored one.
    Bad input raises ValidationError naming the field; nothing is written."""
    existing = CalendarConnection.objects.filter(user=actor).first()
    url = str(data.get("url") or "").strip()
    username = str(data.get("username") or "").strip()
    password = str(data.get("password") or "")
    errors = {}
    try:
        URLValidator(schemes=["https", "http"])(url)
    except ValidationError:
        errors["url"] = [_("Enter the calendar's address, starting with https://.")]
    else:
        try:
            validate_public_url(url)
        except ValidationError as refused:
            errors["url"] = refused.messages
    if not username or len(username) > 200:
        errors["username"] = [_("Enter the user name for the calendar.")]
    try:
        _check_password(password, existing)
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    connection = existing or CalendarConnection(user=actor)
    was_active = existing is not None and existing.active
    moved = existing is not None and (existing.url != url or existing.username != username)
    connection.url, connection.username = url, username
    if password:
        connection.secret = encrypt(password)
    connection.active = bool(data.get("active", True))
    if existing is None or moved:
        # Another calendar: what was sent to the old one is not in this one.
        connection.calendar_url = ""
        connection.sync_token = ""
    connection.due_at = timezone.now()
    connection.save()
    if was_active != connection.active:
        stamps.renew(STAMP)
    if moved:
        SyncedEvent.objects.filter(connection=connection).delete()
    write_audit(
        actor,
        actor=actor,
        action="update",
        changes={CONNECTION: [existing.url if existing else None, url]},
    )
    return connection


def connection_delete(*, actor) -> None:
    """Disconnect: Kesher stops syncing; the events already on the device stay there."""
    connection = CalendarConnection.objects.filter(user=actor).first()
    if connection is None:
        return
    url = connection.url
    connection.delete()
    stamps.renew(STAMP)
    write_audit(actor, actor=actor, action="update", changes={CONNECTION: [url, None]})


def connection_test(*, actor, data: dict | None = None) -> tuple[bool, str]:
    """Reach the calendar with the given settings (or the stored ones) without syncing:
    (True, the calendar's address) or (False, why not). Nothing is written."""
    existing = CalendarConnection.objects.filter(user=actor).first()
    data = data or {}
    url = str(data.get("url") or (existing.url if existing else "")).strip()
    username = str(data.get("username") or (existing.username if existing else "")).strip()
    password = str(data.get("password") or "") or (decrypt(existing.secret) if existing else "")
    if not url or not username or not password:
        return False, _("Enter the address, the user name and the password first.")
    try:
        URLValidator(schemes=["https", "http"])(url)
        validate_public_url(url)
    except ValidationError as error:
        if error.code == "address_refused":
            return False, " ".join(error.messages)
        return False, _("Enter the calendar's address, starting with https://.")
    if settings.KESHER_PRACTICE:
        return False, _("The practice environment never connects to a real calendar.")
    try:
        calendar = connect(url, username, password)
    except ProviderError as failure:
        return False, str(CalendarConnection.Problem(failure.problem).label)
    return True, str(calendar.url)


def connection_sync_now(*, actor) -> CalendarConnection:
    """Ask for a sync at the next tick (the page's "sync now")."""
    connection = CalendarConnection.objects.filter(user=actor).first()
    if connection is None:
        raise ValidationError({"url": [_("Connect a calendar first.")]})
    CalendarConnection.objects.filter(pk=connection.pk).update(due_at=timezone.now(), retry_at=None)
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
    for name in ("enabled", "from_device", "send_details", "send_customer"):
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
        # What may go to devices changed: every calendar is brought in line soon.
        CalendarConnection.objects.filter(active=True).update(due_at=timezone.now())
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


def sync_due(now=None) -> int:
    """The worker's tick: sync the connections that are due — after a change, or every
    ``KESHER_CALSYNC_MINUTES`` — and not waiting after a failure. Returns how many ran."""
    if settings.KESHER_PRACTICE:
        return 0
    now = now or timezone.now()
    stale = now - datetime.timedelta(minutes=settings.KESHER_CALSYNC_MINUTES)
    due = (
        CalendarConnection.objects.filter(active=True, user__is_active=True)
        .filter(Q(due_at__lte=now) | Q(last_sync_at__isnull=True) | Q(last_sync_at__lte=stale))
        .filter(Q(retry_at__isnull=True) | Q(retry_at__lte=now))
        .select_related("user")
        .order_by("due_at", "last_sync_at")[:RUNS_PER_TICK]
    )
    policy = SyncPolicy.current()
    count = 0
    for connection in due:
        try:
            sync_connection(connection, policy)
        except ProviderError:
            pass  # kept on the connection, tried again at its retry time
        except Exception:
            logger.exception("calendar connection %s: sync failed", connection.pk)
            CalendarConnection.objects.filter(pk=connection.pk).update(
                retry_at=now + datetime.timedelta(minutes=settings.KESHER_CALSYNC_MINUTES),
                due_at=None,
            )
        count += 1
    return count

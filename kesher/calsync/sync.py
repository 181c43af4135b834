"""Two-way, incremental sync of a user's meetings with his CalDAV calendar (REQ OR-6, SA-13,
OR-5; decision 0110), with the ``caldav`` library.

One run:

1. **Pull** — a sync-collection REPORT from the stored sync token (RFC 6578) names what changed
   on the server; the changed events are read by one calendar-multiget per hundred. An expired
   token (``DAV:valid-sync-token``) reads the whole list of addresses and ETags instead and
   compares it with what Kesher sent: nothing is made twice, since every event is known by its
   address and UID. Everything is read before anything is written; the meetings, the mapping and
   the new token are then written in one transaction — a server error midway writes nothing.
2. **Push** — meetings the user owns or attends, may see, and the policy lets go to a device,
   whose version differs from the one sent, are PUT (a new one ``If-None-Match: *`` at
   ``<uid>.ics``, a changed one ``If-Match`` its ETag); mapped events whose meeting is gone or no
   longer allowed are DELETEd.

Which side owns what: the device may change a meeting's subject, start and length; the notes,
the record it is about, the owner and the participants are Kesher's (a device's edit of its
description is not read). A change on both sides since the last sync: the later modification
wins (the event's LAST-MODIFIED against the meeting's ``updated_at``); Kesher writes with its
version check, so a meeting changed in Kesher while the run read the server is not overwritten.
An event deleted on the device deletes the meeting when the user owns it and may delete it;
when he only attends, he leaves the meeting; otherwise it is sent again.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import re
from dataclasses import dataclass, field

from caldav.elements import dav
from caldav.lib import error
from caldav.lib.url import URL
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from icalendar import Calendar

from kesher.activities.ical import meeting_event
from kesher.activities.models import Interaction
from kesher.activities.services import interaction_create, interaction_update
from kesher.calsync.dav import ProviderError, client_for, practice, record_outcome, to_read_and_gone
from kesher.calsync.dav import guarded as _guarded
from kesher.calsync.dav import status as _status
from kesher.calsync.models import CalendarConnection, SyncedEvent, SyncPolicy
from kesher.calsync.secrets import decrypt
from kesher.platform.access import can
from kesher.platform.records.links import resolve_link
from kesher.platform.records.services import ConflictError, record_delete

__all__ = ["ProviderError", "Result", "connect", "sync_connection"]

logger = logging.getLogger("kesher.calsync")

WINDOW = datetime.timedelta(days=30)  # meetings older than this are not sent for the first time
BATCH = 100
CONTENT_TYPE = {"Content-Type": "text/calendar; charset=utf-8"}


@dataclass
class Result:
    sent: int = 0
    deleted: int = 0
    received: int = 0
    removed: int = 0
    full: bool = False
    notes: list = field(default_factory=list)


# --- the server ----------------------------------------------------------------------------------


def connect(url: str, username: str, password: str):
    """The calendar at ``url``: the address itself when it is a calendar, else the first
    calendar of the account it names. ProviderError when neither."""
    client = client_for(url, username, password)

    def find():
        calendar = client.calendar(url=url)
        kinds = calendar.get_property(dav.ResourceType(), use_cached=False) or ""
        if "calendar" in str(kinds):
            return calendar
        calendars = client.principal().calendars()
        if not calendars:
            raise error.NotFoundError(url)
        return calendars[0]

    try:
        return _guarded(find)
    except error.AuthorizationError as failure:
        raise ProviderError(CalendarConnection.Problem.SIGN_IN, str(failure)) from failure


# --- what Kesher sends ---------------------------------------------------------------------------


def policy_shape(policy: SyncPolicy) -> str:
    """What the policy lets an event carry: a change re-sends every event (OR-5)."""
    return f"d{int(policy.send_details)}c{int(policy.send_customer)}"


def _site() -> str:
    return settings.KESHER_BASE_URL.split("//", 1)[-1].split("/", 1)[0] or "kesher"


def meeting_uid(meeting: Interaction) -> str:
    """The meeting's UID, the same as in the user's iCal feed (decision 0026)."""
    return f"interaction-{meeting.pk}@{_site()}"


def vcalendar() -> Calendar:
    cal = Calendar()
    cal.add("prodid", "-//Kesher CRM//kesher//HE")
    cal.add("version", "2.0")
    return cal


def event_body(meeting: Interaction, policy: SyncPolicy, uid: str, user) -> str:
    """The meeting as a VCALENDAR with one VEVENT, holding only what the policy allows (and
    the record it is about named only when ``user`` may see it)."""
    event = meeting_event(meeting)
    event.pop("uid")
    event.add("uid", uid)
    event.pop("description", None)
    lines = []
    if policy.send_customer and meeting.link_type:
        with contextlib.suppress(ValidationError):
            lines.append(str(resolve_link(meeting.link_type, meeting.link_id, user)))
    if policy.send_details and meeting.body:
        lines.append(meeting.body)
    if lines:
        event.add("description", "\n\n".join(lines))
    event.add("last-modified", meeting.updated_at)
    cal = vcalendar()
    cal.add_component(event)
    return cal.to_ical().decode()


def eligible(connection: CalendarConnection, policy: SyncPolicy, mapped_ids) -> dict[int, int]:
    """{meeting id: version} of what belongs in the user's calendar: meetings he owns or attends,
    may see, about the kinds of records the policy allows — new ones from ``WINDOW`` ago on,
    those already sent whenever they are."""
    user = connection.user
    through = Interaction.participant_users.through
    joined = through.objects.filter(user_id=user.pk).values("interaction_id")
    meetings = (
        Interaction.objects.visible_to(user)
        .filter(kind__value="meeting")
        .filter(Q(owner=user) | Q(pk__in=joined))
        .filter(Q(occurred_at__gte=timezone.now() - WINDOW) | Q(pk__in=list(mapped_ids)))
    )
    if policy.record_kinds:
        meetings = meetings.filter(link_type__in=policy.record_kinds)
    return dict(meetings.values_list("pk", "version"))


# --- what the device sends -----------------------------------------------------------------------


@dataclass
class Incoming:
    href: str
    etag: str
    uid: str = ""
    subject: str = ""
    start: datetime.datetime | None = None
    minutes: int | None = None
    modified: datetime.datetime | None = None
    usable: bool = True  # a single, timed event: recurring and all-day ones are not meetings


def _as_moment(value):
    if isinstance(value, datetime.datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value)
    return None


def read_event(href: str, etag: str, data: str) -> Incoming:
    item = Incoming(href=href, etag=etag)
    try:
        events = Calendar.from_ical(data).walk("VEVENT")
    except ValueError:
        events = []
    if not events:
        item.usable = False
        return item
    event = events[0]
    item.uid = str(event.get("uid", ""))
    item.subject = str(event.get("summary", ""))[:200]
    start = _as_moment(event.decoded("dtstart", None))
    end = _as_moment(event.decoded("dtend", None))
    length = event.decoded("duration", None)
    if start is not None and end is None and isinstance(length, datetime.timedelta):
        end = start + length
    item.start = start
    item.minutes = max(int((end - start).total_seconds() // 60), 0) if start and end else None
    item.modified = _as_moment(event.decoded("last-modified", None)) or _as_moment(
        event.decoded("dtstamp", None)
    )
    item.usable = bool(
        item.uid and start is not None and not event.get("rrule") and len(events) == 1
    )
    return item


def _file_name(uid: str) -> str:
    """The event's address in the calendar, from its UID (so the same meeting always lands on
    the same address: a PUT repeated after a lost answer overwrites, never duplicates)."""
    return re.sub(r"[^A-Za-z0-9._-]", "-", uid)


def _path(url) -> str:
    return URL.objectify(str(url)).path


# --- one run -------------------------------------------------------------------------------------


class Run:
    def __init__(self, connection: CalendarConnection, policy: SyncPolicy | None = None):
        self.connection = connection
        self.policy = policy or SyncPolicy.current()
        self.result = Result()
        self.calendar = None

    # pull ------------------------------------------------------------------------------------

    def _changes(self):
        """(token, {href: etag} changed, {href} deleted, full) from the server."""
        calendar, token = self.calendar, self.connection.sync_token
        try:
            found = _guarded(
                calendar.get_objects_by_sync_token,
                token or None,
                load_objects=False,
                disable_fallback=True,
            )
        except error.DAVError as failure:  # the token expired: everything, compared
            if "{DAV:}valid-sync-token" not in (getattr(failure, "preconditions", None) or []):
                raise
            found = _guarded(
                calendar.get_objects_by_sync_token, None, load_objects=False, disable_fallback=True
            )
            token = ""
        deleted = {_path(url) for url in getattr(found, "deleted_urls", set())}
        changed = {}
        for obj in found:
            href = _path(obj.url)
            if href in deleted:
                continue
            changed[href] = (obj.props or {}).get(dav.GetEtag.tag, "")
        return found.sync_token, changed, deleted, not token

    def _read(self, hrefs: list[str]) -> list[Incoming]:
        items = []
        base = self.calendar.url
        for start in range(0, len(hrefs), BATCH):
            urls = [base.join(href) for href in hrefs[start : start + BATCH]]
            for obj in _guarded(self.calendar.multiget, urls):
                etag = (obj.props or {}).get(dav.GetEtag.tag, "")
                items.append(read_event(_path(obj.url), etag, obj.data or ""))
        return items

    def pull(self) -> None:
        connection = self.connection
        token, changed, deleted, full = self._changes()
        self.result.full = full
        mapping = {m.href: m for m in connection.events.all()}
        to_read, deleted = to_read_and_gone(changed, mapping, deleted, full)
        incoming = self._read(to_read) if to_read else []
        with transaction.atomic():
            for item in incoming:
                self._take(item, mapping)
            for href in deleted:
                if href in mapping:
                    self._gone(mapping[href])
            connection.sync_token = token
            connection.save(update_fields=["sync_token"])

    def _may_change(self, meeting: Interaction) -> bool:
        user = self.connection.user
        return meeting.owner_id == user.pk and can(user, "interactions", "change")

    def _take(self, item: Incoming, mapping: dict) -> None:
        connection, policy = self.connection, self.policy
        known = mapping.get(item.href)
        if known is None and item.uid:
            known = connection.events.filter(uid=item.uid).first()
            if known is not None:  # the same event at a new address (a full resync)
                mapping.pop(known.href, None)
                known.href = item.href
                mapping[item.href] = known
        if known is None:
            self._new(item, mapping)
            return
        known.etag = item.etag
        meeting = (
            Interaction.objects.filter(pk=known.interaction_id).select_related("kind").first()
            if known.interaction_id
            else None
        )
        if meeting is None or known.ignored:
            known.save(update_fields=["href", "etag"])
            return
        if not (policy.from_device and item.usable and self._may_change(meeting)):
            known.version = 0  # Kesher's version goes back to the device
            known.save(update_fields=["href", "etag", "version"])
            return
        if meeting.version != known.version and (
            item.modified is None or item.modified <= meeting.updated_at
        ):
            # Changed on both sides, Kesher's later: the push sends it over the device's.
            known.save(update_fields=["href", "etag"])
            return
        data = {}
        if item.subject and item.subject != meeting.subject:
            data["subject"] = item.subject
        # iCalendar times are whole seconds.
        if item.start and item.start != meeting.occurred_at.replace(microsecond=0):
            data["occurred_at"] = item.start
        if item.minutes is not None and item.minutes != (meeting.duration_minutes or 60):
            data["duration_minutes"] = item.minutes or None
        if data:
            try:
                meeting = interaction_update(
                    meeting, actor=connection.user, data=data, expected_version=meeting.version
                )
            except ConflictError:
                known.version = 0  # changed in Kesher meanwhile: Kesher's goes out
                known.save(update_fields=["href", "etag", "version"])
                return
            self.result.received += 1
        known.version = meeting.version
        known.save(update_fields=["href", "etag", "version"])

    def _new(self, item: Incoming, mapping: dict) -> None:
        from kesher.activities.meetings import meeting_kind

        connection = self.connection
        kind = meeting_kind()
        take = (
            self.policy.from_device
            and item.usable
            and kind is not None
            and can(connection.user, "interactions", "add")
        )
        meeting = None
        if take:
            meeting = interaction_create(
                actor=connection.user,
                data={
                    "kind": kind,
                    "subject": item.subject or "—",
                    "occurred_at": item.start,
                    "duration_minutes": item.minutes or None,
                    "owner": connection.user,
                },
            )
            self.result.received += 1
        mapping[item.href] = SyncedEvent.objects.create(
            connection=connection,
            interaction=meeting,
            uid=item.uid or item.href,
            href=item.href,
            etag=item.etag,
            version=meeting.version if meeting else 0,
            shape=policy_shape(self.policy),
            ignored=meeting is None,
        )

    def _gone(self, known: SyncedEvent) -> None:
        """The device deleted the event: the owner who may delete the meeting deletes it; an
        attendee leaves it; anyone else's meeting stays in Kesher and is not sent again."""
        user = self.connection.user
        meeting = Interaction.objects.filter(pk=known.interaction_id).first()
        if meeting is None or known.ignored or not self.policy.from_device:
            known.delete()  # nothing to do, or sent again by the push (its mapping is gone)
            return
        if meeting.owner_id == user.pk and can(user, "interactions", "delete"):
            known.delete()
            record_delete(meeting, actor=user)
        elif meeting.owner_id != user.pk and meeting.participant_users.filter(pk=user.pk).exists():
            known.delete()
            others = list(
                meeting.participant_users.exclude(pk=user.pk).values_list("pk", flat=True)
            )
            interaction_update(meeting, actor=user, data={}, m2m={"participant_users": others})
        else:
            known.ignored = True
            known.save(update_fields=["ignored"])
        self.result.removed += 1

    # push ------------------------------------------------------------------------------------

    def push(self) -> None:
        connection, policy = self.connection, self.policy
        shape = policy_shape(policy)
        mapped, kept_off = {}, set()
        for known in connection.events.all():
            if known.ignored:
                kept_off.add(known.interaction_id)
            else:
                mapped[known.interaction_id] = known
        wanted = eligible(connection, policy, [pk for pk in mapped if pk]) if policy.enabled else {}
        for pk in kept_off:
            wanted.pop(pk, None)
        send = [
            pk
            for pk, version in wanted.items()
            if pk not in mapped or mapped[pk].version != version or mapped[pk].shape != shape
        ]
        drop = [m for pk, m in mapped.items() if pk is None or pk not in wanted]
        client = self.calendar.client
        base = self.calendar.url
        for start in range(0, len(send), BATCH):
            meetings = (
                Interaction.objects.filter(pk__in=send[start : start + BATCH])
                .select_related("kind", "owner")
                .order_by("pk")
            )
            for meeting in meetings:
                known = mapped.get(meeting.pk)
                uid = known.uid if known else meeting_uid(meeting)
                href = known.href if known else _path(base.join(f"{_file_name(uid)}.ics"))
                headers = dict(CONTENT_TYPE)
                if known and known.etag:
                    headers["If-Match"] = known.etag
                else:
                    headers["If-None-Match"] = "*"
                body = event_body(meeting, policy, uid, connection.user)
                url = str(base.join(href))
                response = _guarded(client.put, url, body, headers)
                code = _status(response, url)
                if code == 412 and known is None:
                    # Already there (sent before its mapping was kept): it is ours, overwrite.
                    response = _guarded(client.put, url, body, dict(CONTENT_TYPE))
                    code = _status(response, url)
                if code == 412:
                    # Changed on the device since this run read it: read again next run.
                    connection.due_at = timezone.now()
                    continue
                if code == 404:  # deleted on the device meanwhile: the next pull decides
                    continue
                if code >= 300:
                    raise ProviderError(CalendarConnection.Problem.SERVER, f"{code} {url}")
                etag = response.headers.get("ETag", "") if response.headers else ""
                if known is None:
                    known = SyncedEvent(
                        connection=connection, interaction=meeting, uid=uid, href=href
                    )
                known.etag, known.version, known.shape = etag, meeting.version, shape
                known.save()
                self.result.sent += 1
        for known in drop:
            url = str(base.join(known.href))
            response = _guarded(client.delete, url)
            code = _status(response, url)
            if code >= 300 and code != 404:
                raise ProviderError(CalendarConnection.Problem.SERVER, f"{code} {url}")
            known.delete()
            self.result.deleted += 1

    def __call__(self) -> Result:
        connection = self.connection
        password = decrypt(connection.secret)
        if connection.calendar_url:
            client = client_for(connection.calendar_url, connection.username, password)
            self.calendar = client.calendar(url=connection.calendar_url)
        else:
            self.calendar = connect(connection.url, connection.username, password)
            connection.calendar_url = str(self.calendar.url)
            connection.save(update_fields=["calendar_url"])
        if self.policy.enabled:
            self.pull()
            self.push()
        else:
            self.push()  # the policy turned off: what was sent is taken back
        return self.result


def sync_connection(connection: CalendarConnection, policy: SyncPolicy | None = None) -> Result:
    """One run for ``connection`` (nothing in the practice environment, REQ IM-6). Its outcome
    — the last sync and problem, the next try after a failure — is kept on the connection."""
    if practice():
        return Result()
    return record_outcome(connection, Run(connection, policy))

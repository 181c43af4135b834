"""Reads of working together, each through the reader's scope: whether he follows a record,
its followers, the people he may mention on it, and his feed (issue 23 item 4)."""

from __future__ import annotations

import base64
import binascii
import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db.models import OuterRef, Q, Subquery
from django.urls import reverse
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from kesher.collab.models import FeedItem, Follow, FollowSettings, Note
from kesher.collab.services import can_see, followers_ids, owner_ids, owns_and_follows
from kesher.platform import stamps
from kesher.platform.records.history import describe
from kesher.platform.registry import Entity, registry
from kesher.platform.visibility import without_hidden_changes

__all__ = [
    "FEED_PAGE",
    "FeedEntry",
    "FeedPage",
    "cursor_of",
    "decode_cursor",
    "feed_page",
    "followers_of",
    "is_following",
    "mentionable",
    "notes_of",
]

FEED_PAGE = 25
# Lines of the feed read at a time; a page whose lines are out of the reader's scope now is
# filled from the next batch, at most this many batches.
FEED_BATCHES = 4
PICKER_LIMIT = 8


def is_following(user, entity: Entity, record) -> bool:
    """Whether ``user`` follows the record: by choice, or as its owner by his settings. One
    query (the record page asks it for every record): his choice and his setting together."""
    found = (
        get_user_model()
        .objects.filter(pk=user.pk)
        .annotate(
            chosen=Subquery(
                Follow.objects.filter(
                    user=OuterRef("pk"), entity=entity.key, record_id=record.pk
                ).values("following")[:1]
            ),
            owned=Subquery(
                FollowSettings.objects.filter(user=OuterRef("pk")).values("follow_owned")[:1]
            ),
        )
        .values_list("chosen", "owned")
        .first()
    )
    if found is None:
        return False
    chosen, owned = found
    if chosen is not None:
        return bool(chosen)
    return (owned is None or bool(owned)) and user.pk in _owners_of(entity, record)


def _owners_of(entity: Entity, record) -> set[int]:
    """The record's owners, from the record itself when its owner is its own column."""
    name = entity.owner_field
    if not owns_and_follows(entity):
        return set()
    if "__" not in name:
        try:
            return {getattr(record, entity.model._meta.get_field(name).attname)} - {None}
        except (AttributeError, FieldDoesNotExist):
            pass
    return owner_ids(entity, record.pk)


def followers_of(entity: Entity, record) -> list:
    """The record's active followers, by name."""
    ids = followers_ids(entity, record.pk)
    return list(
        get_user_model()
        .objects.filter(pk__in=ids, is_active=True)
        .order_by("first_name", "last_name", "pk")
    )


def mentionable(user, entity: Entity, record, text: str) -> list:
    """Active users whose name starts with ``text`` (a word of it) and who may see the record:
    the only people the note box offers, so it names no one a mention would be refused for."""
    words = text.split()[:3]
    if not words:
        return []
    people = get_user_model().objects.filter(is_active=True)
    for word in words:
        people = people.filter(
            Q(first_name__istartswith=word)
            | Q(last_name__istartswith=word)
            | Q(username__istartswith=word)
        )
    found = []
    # A few more than shown: some may not see the record.
    for person in people.order_by("first_name", "last_name", "pk")[: PICKER_LIMIT * 3]:
        if can_see(person, entity, record.pk):
            found.append(person)
        if len(found) == PICKER_LIMIT:
            break
    return found


def notes_of(entity: Entity, record, limit: int = 50) -> list[Note]:
    """The record's latest notes (the caller checked the reader may see the record)."""
    return list(
        Note.objects.filter(entity=entity.key, record_id=record.pk)
        .select_related("author")
        .prefetch_related("mentions")
        .order_by("-created_at", "-id")[:limit]
    )


# --- the feed ----------------------------------------------------------------------------------


@dataclass
class FeedEntry:
    """One line of the feed as its reader reads it."""

    item: FeedItem
    record: object
    entity: Entity
    # ``(label, old, new)`` of a change, in the reader's language.
    rows: list = field(default_factory=list)

    @property
    def id(self) -> int:
        return self.item.pk

    @property
    def at(self) -> datetime.datetime:
        return self.item.at

    @property
    def kind(self) -> str:
        return self.item.kind

    @property
    def actor(self):
        return self.item.actor

    @property
    def note(self) -> Note | None:
        return self.item.note

    @property
    def url(self) -> str:
        return reverse("entity_detail", args=[self.entity.key, self.record.pk])

    def _sentence(self) -> str:
        if self.kind == FeedItem.Kind.NOTE:
            return _("%(user)s wrote a note on %(record)s")
        return _("%(user)s changed %(record)s")

    @property
    def text(self) -> str:
        """What happened, in the reader's language (the API's ``text``)."""
        return self._sentence() % {
            "user": str(self.actor or _("Kesher")),
            "record": str(self.record),
        }

    @property
    def html(self) -> str:
        """The same for the page: each name isolated (``<bdi>``), so a Hebrew name in an
        English sentence, or the other way round, keeps the sentence's order."""
        names = {
            "user": format_html("<bdi>{}</bdi>", str(self.actor or _("Kesher"))),
            "record": format_html("<bdi>{}</bdi>", str(self.record)),
        }
        # The sentence is the catalogue's; only the names come from users, escaped above.
        return mark_safe(conditional_escape(self._sentence()) % names)


@dataclass
class FeedPage:
    entries: list[FeedEntry]
    # The cursor of the next page, or "" at the end.
    next_cursor: str = ""


def cursor_of(item: FeedItem) -> str:
    raw = f"{item.at.isoformat()}|{item.pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime.datetime, int] | None:
    """The ``(at, id)`` a cursor names; None for one that is not a cursor."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, pk = raw.split("|")
        moment = datetime.datetime.fromisoformat(at)
        if moment.tzinfo is None:
            return None
        return moment, int(pk)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        return None


def _visible_records(user, items: list[FeedItem]) -> dict[tuple[str, int], object]:
    """The items' records ``user`` may see now: one query per kind of record."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for item in items:
        wanted[item.entity].add(item.record_id)
    found = {}
    for key, ids in wanted.items():
        try:
            entity = registry.get(key)
        except KeyError:
            continue
        # Only whether he sees them and their names: no joins of the record page's.
        rows = entity.queryset().visible_to(user).filter(pk__in=ids).order_by()
        found.update({(key, obj.pk): obj for obj in rows})
    return found


def feed_page(user, cursor: str = "", size: int = FEED_PAGE) -> FeedPage:
    """``user``'s feed (``_feed_page``), the schema's stamps read once for all its lines."""
    with stamps.remembered_for_request():
        return _feed_page(user, cursor, size)


def _feed_page(user, cursor: str, size: int) -> FeedPage:
    """``user``'s feed, newest first, from ``cursor`` (the previous page's ``next_cursor``):
    changes and notes of the records he follows, by others, each about a record he may see
    now, its changes only of fields he may see, put into words for him."""
    items = FeedItem.objects.filter(user=user).order_by("-at", "-id")
    position = decode_cursor(cursor)
    kept: list[tuple[FeedItem, object]] = []
    last: FeedItem | None = None
    more = False
    for _batch in range(FEED_BATCHES):
        page = items
        if position is not None:
            at, pk = position
            page = page.filter(Q(at__lt=at) | Q(at=at, id__lt=pk))
        batch = list(
            page.select_related("actor", "audit_entry", "note", "note__author").prefetch_related(
                "note__mentions"
            )[: size + 1]
        )
        after = len(batch) > size
        batch = batch[:size]
        records = _visible_records(user, batch)
        full = False
        for index, item in enumerate(batch):
            last = item
            record = records.get((item.entity, item.record_id))
            if record is not None:
                kept.append((item, record))
            if len(kept) == size:
                full = True
                more = after or index < len(batch) - 1
                break
        if full:
            break
        more = after
        if not after or last is None:
            break
        position = (last.at, last.pk)
    return FeedPage(_entries(user, kept), cursor_of(last) if more and last is not None else "")


def _entries(user, kept: list[tuple[FeedItem, object]]) -> list[FeedEntry]:
    """The kept lines in words: a change keeps the fields its reader may see (a line of
    hidden fields alone is left out), described together with the others."""
    entries = []
    audits = []
    for item, record in kept:
        entity = registry.get(item.entity)
        audit = item.audit_entry
        if audit is not None:
            if not without_hidden_changes([audit], entity, user):
                continue
            audits.append(audit)
        entries.append(FeedEntry(item, record, entity))
    describe(audits, user)
    for entry in entries:
        if entry.item.audit_entry is not None:
            entry.rows = getattr(entry.item.audit_entry, "rows", [])
    return entries

"""Every write of working together (issue 23 item 4): follow and unfollow a record, write a
note mentioning colleagues, one's follow settings, and what followers hear of a record's
changes.

Who hears of what:
- a record's followers are those who chose to follow it, those mentioned in or writing a note
  on it, and its owner — each of these last two as his settings say (``FollowSettings``; both
  on unless he turns them off), and never one who unfollowed the record;
- a follower hears (a feed item and a notification) of a change or a note by someone else,
  only while he may see the record, and of changes only to fields he may see;
- a mention is refused, with nothing written, when the person mentioned may not see the
  record (decision 0081): a note never hands a record to someone its scope keeps it from.
"""

from __future__ import annotations

import logging
import re

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kesher.activities.models import Notification
from kesher.activities.services import notify
from kesher.collab import notices
from kesher.collab.models import FeedItem, Follow, FollowSettings, Note
from kesher.platform.customfields.values import definitions_for
from kesher.platform.events import Event
from kesher.platform.models import AuditEntry
from kesher.platform.records.audit import FORMAT_KEY, fact_for
from kesher.platform.registry import Entity, registry
from kesher.platform.visibility import shown_changes

__all__ = [
    "BODY_MAX",
    "MENTIONS_MAX",
    "can_see",
    "follow",
    "follow_settings_set",
    "followers_ids",
    "note_create",
    "owner_ids",
    "owns_and_follows",
    "record_changed",
    "settings_of",
    "unfollow",
]

logger = logging.getLogger("kesher.collab")

BODY_MAX = 5000
MENTIONS_MAX = 20
# Who changed a record written by no one (automation, the system).
SYSTEM = gettext_lazy("Kesher")
# What a notification quotes of a note.
QUOTE_MAX = 120
# Control characters other than tab and new line are dropped from a note.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def can_see(user, entity: Entity, record_id) -> bool:
    """Whether ``user`` (active) may see the record, by the entity's one scoping rule."""
    if user is None or not user.is_active:
        return False
    return entity.queryset().visible_to(user).filter(pk=record_id).exists()


def settings_of(user) -> FollowSettings:
    """The user's settings, unsaved defaults when he has none."""
    found = FollowSettings.objects.filter(user=user).first()
    return found if found is not None else FollowSettings(user=user)


def _settings_for(user_ids) -> dict[int, FollowSettings]:
    rows = {s.user_id: s for s in FollowSettings.objects.filter(user_id__in=list(user_ids))}
    return {pk: rows.get(pk) or FollowSettings(user_id=pk) for pk in user_ids}


@transaction.atomic
def follow_settings_set(*, actor, follow_owned: bool, follow_mentioned: bool) -> FollowSettings:
    """Turn following one's own records, and those one is mentioned in, on or off."""
    found, _created = FollowSettings.objects.get_or_create(user=actor)
    found.follow_owned = bool(follow_owned)
    found.follow_mentioned = bool(follow_mentioned)
    found.save(update_fields=["follow_owned", "follow_mentioned"])
    return found


@transaction.atomic
def follow(*, actor, entity: Entity, record, reason: str = Follow.Reason.CHOSEN) -> Follow:
    """``actor`` follows ``record`` (one he may see: the caller read it through his scope)."""
    if not can_see(actor, entity, record.pk):
        raise ValidationError({"record": [_("You may not see this record.")]})
    row, created = Follow.objects.get_or_create(
        user=actor, entity=entity.key, record_id=record.pk, defaults={"reason": reason}
    )
    if not created and not row.following:
        row.following = True
        row.reason = reason
        row.save(update_fields=["following", "reason"])
    return row


@transaction.atomic
def unfollow(*, actor, entity: Entity, record_id: int) -> None:
    """``actor`` stops following the record, even one he owns, and its lines leave his feed.
    A row saying so stays: owning it or a mention does not make him follow it again."""
    row, created = Follow.objects.get_or_create(
        user=actor,
        entity=entity.key,
        record_id=record_id,
        defaults={"following": False, "reason": Follow.Reason.CHOSEN},
    )
    if not created and row.following:
        row.following = False
        row.save(update_fields=["following"])
    FeedItem.objects.filter(user=actor, entity=entity.key, record_id=record_id).delete()


def owns_and_follows(entity: Entity) -> bool:
    """Whether the owners of ``entity``'s records follow them of themselves: of the records
    work is about (customers, deals, tickets, projects…: ``Entity.linkable``), not of the work
    itself (tasks, interactions: their own notifications tell of them) nor of settings."""
    return bool(entity.owner_field) and entity.linkable


def owner_ids(entity: Entity, record_id) -> set[int]:
    """The ids of the owners who follow the record of themselves (their settings aside)."""
    if not owns_and_follows(entity):
        return set()
    values = (
        entity.model._base_manager.filter(pk=record_id)
        .values_list(entity.owner_field, flat=True)
        .distinct()
    )
    return {pk for pk in values if pk is not None}


def followers_ids(entity: Entity, record_id) -> set[int]:
    """The ids of the record's followers: chosen, and owners by their settings, less those
    who unfollowed it. Who may see the record is checked by whoever tells them."""
    rows = Follow.objects.filter(entity=entity.key, record_id=record_id).values_list(
        "user_id", "following"
    )
    following, declined = set(), set()
    for user_id, yes in rows:
        (following if yes else declined).add(user_id)
    owners = owner_ids(entity, record_id) - declined - following
    if owners:
        settings = _settings_for(owners)
        following |= {pk for pk in owners if settings[pk].follow_owned}
    return following


def _clean_body(body) -> str:
    if not isinstance(body, str):
        raise ValidationError({"body": [_("Write the note as text.")]})
    text = _CONTROL.sub("", body).strip()
    if not text:
        raise ValidationError({"body": [_("Write the note.")]})
    if len(text) > BODY_MAX:
        raise ValidationError(
            {"body": [_("A note holds at most %(max)s characters.") % {"max": BODY_MAX}]}
        )
    return text


def _mentioned(actor, entity: Entity, record, mentions) -> list:
    """The users ``mentions`` names (ids), each active and allowed to see the record."""
    if mentions is None:
        return []
    if not isinstance(mentions, list | tuple) or not all(
        isinstance(pk, int) and not isinstance(pk, bool) for pk in mentions
    ):
        raise ValidationError({"mentions": [_("Mention people by their ids.")]})
    ids = list(dict.fromkeys(mentions))
    if len(ids) > MENTIONS_MAX:
        raise ValidationError(
            {"mentions": [_("Mention at most %(max)s people.") % {"max": MENTIONS_MAX}]}
        )
    users = list(get_user_model().objects.filter(pk__in=ids, is_active=True).order_by("pk"))
    if len(users) != len(ids):
        raise ValidationError({"mentions": [_("Mention only active users.")]})
    refused = [user for user in users if not can_see(user, entity, record.pk)]
    if refused:
        # The author learns only that his colleague may not see the record he himself sees.
        raise ValidationError(
            {
                "mentions": [
                    _("%(user)s may not see this record: mention only people who can.")
                    % {"user": user}
                    for user in refused
                ]
            }
        )
    return users


def _quote(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= QUOTE_MAX else line[: QUOTE_MAX - 1] + "…"


def _follow_of_oneself(user_ids, entity: Entity, record_id, reason: str) -> None:
    """Those mentioned in a note and its author follow the record, as their settings say,
    unless they unfollowed it."""
    if not user_ids:
        return
    settings = _settings_for(user_ids)
    wanted = [pk for pk in user_ids if settings[pk].follow_mentioned]
    Follow.objects.bulk_create(
        [
            Follow(user_id=pk, entity=entity.key, record_id=record_id, reason=reason)
            for pk in wanted
        ],
        ignore_conflicts=True,
    )


@transaction.atomic
def note_create(*, actor, entity: Entity, record, body, mentions=None) -> Note:
    """Write a note on ``record`` (which ``actor`` sees: the caller read it through his scope),
    mentioning ``mentions`` (user ids). The mentioned hear of it in their language; the
    record's other followers find it in their feed and notifications."""
    if not can_see(actor, entity, record.pk):
        raise ValidationError({"record": [_("You may not see this record.")]})
    errors = {}
    try:
        text = _clean_body(body)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        people = _mentioned(actor, entity, record, mentions)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    note = Note.objects.create(entity=entity.key, record_id=record.pk, author=actor, body=text)
    if people:
        note.mentions.set(people)
    _follow_of_oneself([actor.pk], entity, record.pk, Follow.Reason.NOTE)
    _follow_of_oneself([u.pk for u in people], entity, record.pk, Follow.Reason.MENTIONED)
    params = {"user": str(actor), "kind": _in_languages(entity.label), "text": _quote(text)}
    mentioned = {u.pk for u in people}
    for user in people:
        if user.pk != actor.pk:
            notify(
                user,
                verb=Notification.Verb.MENTION,
                message=notices.MENTIONED,
                params=params,
                record=record,
            )
    readers = _readers(entity, record.pk, followers_ids(entity, record.pk) | mentioned, actor)
    FeedItem.objects.bulk_create(
        [
            FeedItem(
                user=user,
                at=note.created_at,
                kind=FeedItem.Kind.NOTE,
                entity=entity.key,
                record_id=record.pk,
                actor=actor,
                note=note,
            )
            for user in readers
        ]
    )
    for user in readers:
        if user.pk not in mentioned:
            notify(
                user,
                verb=Notification.Verb.FOLLOWING,
                message=notices.NOTED,
                params=params,
                record=record,
            )
    return note


def _readers(entity: Entity, record_id, user_ids: set[int], actor_id) -> list:
    """The active users of ``user_ids`` but the actor who may see the record now."""
    actor_pk = getattr(actor_id, "pk", actor_id)
    ids = set(user_ids) - {actor_pk}
    if not ids:
        return []
    users = get_user_model().objects.filter(pk__in=ids, is_active=True).order_by("pk")
    return [user for user in users if can_see(user, entity, record_id)]


def _label(entity: Entity, key: str) -> str:
    if key.startswith("custom_fields."):
        name = key.removeprefix("custom_fields.")
        for definition in definitions_for(entity.key, active_only=False):
            if definition.key == name:
                return str(definition.label)
        return name
    try:
        field = entity.model._meta.get_field(key)
        return str(getattr(field, "verbose_name", key))
    except FieldDoesNotExist:
        fact = fact_for(key)
        return str(fact.label) if fact is not None else key


def _in_languages(text) -> dict:
    """A lazily translated text in each language, for a notification read in either."""
    named = {}
    for language in ("he", "en"):
        with translation.override(language):
            named[language] = str(text)
    return named


def _labels(entity: Entity, keys: list[str]) -> dict:
    """The changed fields' names in each language, for a notification read in either."""
    named = {}
    for language in ("he", "en"):
        with translation.override(language):
            named[language] = ", ".join(_label(entity, key) for key in keys)
    return named


def record_changed(event: Event) -> None:
    """After a record's change commits: a feed item and a notification for each follower but
    the one who changed it, who may see the record and one of the changed fields."""
    try:
        entity = registry.get(event.entity)
    except KeyError:
        return
    followers = followers_ids(entity, event.object_id) - {event.actor_id}
    if not followers:
        return
    content_type = ContentType.objects.get_for_model(entity.model)
    entry = (
        AuditEntry.objects.filter(
            content_type=content_type,
            object_id=event.object_id,
            action=AuditEntry.Action.UPDATE,
        )
        .select_related("actor")  # named in the notification
        .order_by("-at", "-pk")
        .first()
    )
    if entry is None or not isinstance(entry.changes, dict):
        return
    # A notification links to the record by its kind and id: the row itself is not read.
    record = entity.model(pk=event.object_id)
    with transaction.atomic():
        for user in _readers(entity, event.object_id, followers, event.actor_id):
            keys = [k for k in shown_changes(entity, user, entry.changes) if k != FORMAT_KEY]
            if not keys:
                continue
            FeedItem.objects.create(
                user=user,
                at=entry.at,
                kind=FeedItem.Kind.CHANGE,
                entity=entity.key,
                record_id=event.object_id,
                actor_id=event.actor_id,
                audit_entry=entry,
            )
            notify(
                user,
                verb=Notification.Verb.FOLLOWING,
                message=notices.CHANGED,
                params={
                    "user": str(entry.actor) if entry.actor_id else _in_languages(SYSTEM),
                    "kind": _in_languages(entity.label),
                    "fields": _labels(entity, keys),
                },
                record=record,
            )

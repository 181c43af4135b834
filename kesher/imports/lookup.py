"""Finding the records a file's rows point at — the accounts a contact works at, the two ends of
a relationship, the record a history row is about, a task's assignee — a batch at a time (REQ
IM-2). Any foreign key or many-to-many field to a registered entity is such a link; nothing here
knows an entity by name.

``prefetch`` reads each such column's distinct cells of a batch with a few queries per column
(not one per row) and leaves the answers in the plan's cache; ``engine`` then reads the cache.
A record is found by the old system's id (an ``ExternalId`` of the job's source system), by our
id, or by a natural key (an account's company number or name, a contact's e-mail or mobile), and
only among the records the importer may see: a row can never link to a record outside the
importer's scope, and the answer for "missing" and "not yours" is the same.

A link column's values that name no record are gathered for the dry run's report
(``plan.missing``); by the column's choice (decision 0048) its rows are then refused, or the
missing records are created through their entity's services — named by the value, owned by the
importer, one per distinct value, in the batch's transaction — or the link is left out.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kesher.imports.mapping import (
    ABOUT,
    EXTERNAL_ID,
    MISSING_CREATE,
    MISSING_LEAVE,
    Target,
    split_cell,
)
from kesher.imports.models import ExternalId
from kesher.platform.access import can, linkable
from kesher.platform.records.lookups import emails_in
from kesher.platform.records.services import record_create
from kesher.platform.registry import registry

__all__ = [
    "about_record",
    "creatable",
    "linked_records",
    "prefetch",
    "user_id",
]

MAX_KEY = 200
# Models that are not registered entities (roles): looked up by these fields, unscoped.
PLAIN_KEYS = ("key", "name_he", "name_en", "name")
AMBIGUOUS = "ambiguous"


# The name field of a record created for a missing value: an entity whose records a file names
# by their name (its ``link_lookup_keys`` hold it) can have one made from the value alone.
NAME_FIELD = "name"


def prefetch(plan, rows: list[list[str]]) -> None:
    """Resolve every linking column's cells of one batch into ``plan.cache``; note the values
    that name no record in ``plan.missing`` and, where the column says so, create them."""
    for column in plan.columns:
        target = column.target
        if target.kind not in ("about", "link", "links", "user"):
            continue
        texts = set()
        for cells in rows:
            if column.index < len(cells):
                for text in split_cell(target, cells[column.index].strip()):
                    if 0 < len(text) <= MAX_KEY:
                        texts.add(text)
        if target.kind == "user":
            _load_users(plan)
        elif target.kind == "about":
            entity_key, key = _about_parts(target)
            _resolve(plan, ("about", target.key), entity_key, (key,), texts)
        else:
            model = target.model_field.related_model
            _resolve_link(plan, model, texts)
            if target.entity_key:
                _missing(plan, column, model, texts)


def creatable(plan_or_actor, target: Target) -> bool:
    """Whether the missing records of a link column may be created: the linked entity is named
    by its name, and the importer may add its records."""
    actor = getattr(plan_or_actor, "actor", plan_or_actor)
    if not target.entity_key:
        return False
    entity = registry.get(target.entity_key)
    return NAME_FIELD in entity.link_lookup_keys and can(actor, entity.key, "add")


def _missing(plan, column, model, texts: set[str]) -> None:
    known = plan.cache[("link", model._meta.label_lower)]
    missing = sorted(t for t in texts if known.get(t) is None)
    if not missing:
        return
    plan.missing.setdefault(column.index, set()).update(missing)
    if column.missing == MISSING_CREATE and creatable(plan, column.target):
        _create(plan, column.target, missing, known)


def _create(plan, target: Target, texts: list[str], known: dict) -> None:
    """One record per missing value, through the entity's create service, owned by the importer
    (``engine.default_owner``); a value the service refuses stays missing with its reason."""
    from kesher.imports.engine import default_owner

    entity = registry.get(target.entity_key)
    service = entity.create_service or (lambda **kw: record_create(entity, **kw))
    limit = entity.model._meta.get_field(NAME_FIELD).max_length or MAX_KEY
    for text in texts:
        data = default_owner(entity, {NAME_FIELD: text[:limit]}, plan.actor)
        try:
            with transaction.atomic():
                known[text] = service(actor=plan.actor, data=data)
        except ValidationError as exc:
            known[text] = exc


# --- reading the cache --------------------------------------------------------------------------


def about_record(plan, target: Target, text: str):
    """The record an "about" cell names; ValidationError saying why not."""
    entity_key, key = _about_parts(target)
    cache_key = ("about", target.key)
    if text not in plan.cache.get(cache_key, {}):
        _resolve(plan, cache_key, entity_key, (key,), {text})
    found = plan.cache[cache_key].get(text)
    if found == AMBIGUOUS:
        raise ValidationError(
            _("Several records have this value; use their external id or id in Kesher.")
        )
    if found is None:
        entity = registry.get(entity_key)
        raise ValidationError(
            _("No %(entity)s with this value, or you may not see it.") % {"entity": entity.label}
        )
    return found


def linked_records(plan, column, text: str) -> list:
    """The records a link cell (a contact's accounts, a relationship's end, a user's role…)
    names by their external id, a natural key or their name: one for a foreign key, any number
    for a many-to-many field; a missing one is left out when its column says so."""
    target = column.target
    model = target.model_field.related_model
    cache_key = ("link", model._meta.label_lower)
    found_all = []
    for value in split_cell(target, text):
        if value not in plan.cache.get(cache_key, {}):
            _resolve_link(plan, model, {value})
        found = plan.cache[cache_key].get(value)
        if found == AMBIGUOUS:
            raise ValidationError(
                _("Several records are named “%(value)s”; use their external id.")
                % {"value": value[:60]}
            )
        if isinstance(found, ValidationError):
            raise ValidationError(
                _("“%(value)s” could not be created: %(reason)s")
                % {"value": value[:60], "reason": " ".join(found.messages)}
            )
        if found is None:
            if column.missing == MISSING_LEAVE:
                continue
            raise ValidationError(_("No record “%(value)s” was found.") % {"value": value[:60]})
        if found not in found_all:
            found_all.append(found)
    return found_all


def user_id(plan, text: str) -> int:
    """An active user by e-mail, username or full name (one query a job)."""
    found = _load_users(plan).get(text.strip().lower())
    if found is None or found == AMBIGUOUS:
        raise ValidationError(_("No active user “%(value)s”.") % {"value": text[:60]})
    return found


# --- resolving ----------------------------------------------------------------------------------


def _about_parts(target: Target) -> tuple[str, str]:
    entity_key, key = target.key.removeprefix(ABOUT).rsplit(".", 1)
    return entity_key, key


def _resolve_link(plan, model, texts: set[str]) -> None:
    cache_key = ("link", model._meta.label_lower)
    if registry.has_model(model):
        entity = registry.for_model(model)
        keys = (EXTERNAL_ID, *entity.link_lookup_keys)
        _resolve(plan, cache_key, entity.key, keys, texts)
        return
    known = plan.cache.setdefault(cache_key, {})
    wanted = texts - set(known)
    known.update(dict.fromkeys(wanted))
    for name in (n for n in PLAIN_KEYS if n in {f.name for f in model._meta.concrete_fields}):
        if wanted:
            _by_field(model.objects.all(), name, wanted, known)
            wanted = {t for t in wanted if known[t] is None}


def _resolve(plan, cache_key, entity_key: str, keys: tuple[str, ...], texts: set[str]) -> None:
    """Fill ``plan.cache[cache_key]``: text → record, AMBIGUOUS or None, trying ``keys`` in
    order (one or two queries each) for the texts an earlier key did not find."""
    known = plan.cache.setdefault(cache_key, {})
    wanted = {t for t in texts if t not in known}
    if not wanted:
        return
    known.update(dict.fromkeys(wanted))
    entity = registry.get(entity_key)
    visible = linkable(entity.model.objects.all(), plan.actor)
    for key in keys:
        if not wanted:
            break
        if key == EXTERNAL_ID:
            pairs = list(
                ExternalId.objects.filter(
                    entity=entity_key, source=plan.source, external_id__in=wanted
                ).values_list("external_id", "record_id")
            )
            records = visible.in_bulk([pk for _text, pk in pairs]) if pairs else {}
            for text, pk in pairs:
                if pk in records:
                    known[text] = records[pk]
        elif key == "id":
            ids = {t: int(t) for t in wanted if t.isdigit() and len(t) < 19}
            records = visible.in_bulk(list(ids.values())) if ids else {}
            for text, pk in ids.items():
                known[text] = records.get(pk)
        else:
            _by_field(visible, key, wanted, known)
        wanted = {t for t in wanted if known[t] is None}


def _by_field(queryset, name: str, texts: set[str], known: dict) -> None:
    """Records whose ``name`` holds one of ``texts`` (in the field's stored form: a phone in
    E.164; e-mail compared in lower case); a text matching two records is AMBIGUOUS."""
    model_field = queryset.model._meta.get_field(name)
    stored: dict = {}
    for text in texts:
        try:
            value = model_field.to_python(text)
        except ValidationError:
            continue
        if value not in (None, ""):
            stored.setdefault(value.lower() if name == "email" else value, []).append(text)
    if not stored:
        return
    if name == "email":
        queryset = emails_in(queryset, "email", stored)
    else:
        queryset = queryset.filter(**{f"{name}__in": stored})
    matches: dict = {}
    for record in queryset:
        value = getattr(record, name)
        matches.setdefault(value.lower() if name == "email" else value, []).append(record)
    for value, found in matches.items():
        for text in stored.get(value, ()):
            known[text] = found[0] if len(found) == 1 else AMBIGUOUS


def _load_users(plan) -> dict:
    """Active users by lower-cased e-mail, username and full name, loaded once a job (they
    are few beside the rows); a name two users share is AMBIGUOUS."""
    cache_key = ("users",)
    if cache_key not in plan.cache:
        index: dict = {}
        rows = get_user_model().objects.filter(is_active=True)
        for pk, username, email, first, last in rows.values_list(
            "pk", "username", "email", "first_name", "last_name"
        ):
            full = f"{first} {last}".strip()
            for name in {username.lower(), email.lower(), full.lower()} - {""}:
                index[name] = pk if index.get(name, pk) == pk else AMBIGUOUS
        plan.cache[cache_key] = index
    return plan.cache[cache_key]

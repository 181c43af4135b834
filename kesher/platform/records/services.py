"""The generic write path every entity uses: validate, write in one transaction, audit, index
for search and emit events on commit (STYLE.md "every write is an action").

Domain services (``account_create`` ...) call these; views, the API, commands and the importer
call the domain services, so every write is validated and audited the same way.
"""

from __future__ import annotations

import functools
import re
from functools import partial

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, ValidationError
from django.db import connection, models, transaction
from django.db.models import ForeignObjectRel
from django.utils import timezone
from django.utils.translation import gettext as _

from kesher.platform import events, stamps
from kesher.platform.customfields.rules import enforce_rules
from kesher.platform.customfields.values import error_key, validate_custom
from kesher.platform.models import AuditEntry
from kesher.platform.records import audit, search
from kesher.platform.records.inserts import (
    Statement,
    insert_new,
    insert_statement,
    run_together,
)
from kesher.platform.records.many import keep_hidden_links
from kesher.platform.registry import Entity, registry

__all__ = [
    "ConflictError",
    "assign_fields",
    "audit_statement",
    "clean_submitted",
    "clean_text",
    "creation_changes",
    "custom_changes",
    "deletion_changes",
    "display",
    "edit_blocked_among",
    "edit_blocked_reason",
    "in_use_message",
    "record_create",
    "record_delete",
    "record_update",
    "records_create_together",
    "register_edit_guard",
    "with_default_owner",
    "write_audit",
]

# Bidi embedding/override/isolate controls and zero-width characters can disguise text
# ("Trojan Source"); NUL is rejected by PostgreSQL. Ordinary RLM/LRM marks are kept.
_HOSTILE_CONTROLS = re.compile("[\u0000\u200b\u200c\u200d\u2060\ufeff\u202a-\u202e\u2066-\u2069]")


_UNSET = object()
MASK = "••••"

_edit_guards: list = []
_bulk_edit_guards: list = []


def _stamps_read_once(write):
    """A write outside a request reads the stamps once, for itself and for the subscribers of
    its events delivered at its commit, as a request does: a deal's move outside a request
    (the worker, the board's bench) read them four times (grants, fields, settings, calendar)."""

    @functools.wraps(write)
    def once(*args, **kwargs):
        with stamps.remembered():
            return write(*args, **kwargs)

    return once


def register_edit_guard(guard, *, among=None):
    """Let an app refuse edits and deletes of a record: ``guard(instance)`` returns a translated
    reason, or None to allow (approvals lock a record while it waits for a decision).
    ``among(entity_key, ids)`` answers the same for many records at once, {id: reason}, for
    the bulk actions that write a chunk of records without the service."""
    if guard not in _edit_guards:
        _edit_guards.append(guard)
    if among is not None and among not in _bulk_edit_guards:
        _bulk_edit_guards.append(among)
    return guard


def edit_blocked_among(entity_key: str, ids: list[int]) -> dict[int, str]:
    """The records among ``ids`` that may not be edited or deleted now, with the reason."""
    blocked: dict[int, str] = {}
    for among in _bulk_edit_guards:
        for pk, reason in among(entity_key, ids).items():
            blocked.setdefault(pk, str(reason))
    return blocked


def edit_blocked_reason(instance, *, asked_later=()) -> str | None:
    """Why ``instance`` may not be edited or deleted now, or None. ``asked_later``: guards the
    caller asks itself under its row lock (issuing, decision 0119), skipped here."""
    for guard in _edit_guards:
        if guard in asked_later:
            continue
        reason = guard(instance)
        if reason:
            return str(reason)
    return None


def _check_edit_guards(instance) -> None:
    reason = edit_blocked_reason(instance)
    if reason:
        raise ValidationError({"__all__": [reason]})


class ConflictError(Exception):
    """The record changed since the caller read it (stale ``version``)."""

    def __init__(self, current_version: int):
        self.current_version = current_version
        super().__init__(
            _("This record was changed by someone else (now version %(version)s). Reload it.")
            % {"version": current_version}
        )


def in_use_message(exc) -> str:
    """What a refused delete says (a ProtectedError or RestrictedError): which kinds of record
    still refer to it and how many of each, e.g. "… was not deleted: 2 users, 1 department"."""
    counts: dict[str, int] = {}
    names: dict[str, str] = {}
    referring = getattr(exc, "protected_objects", None) or getattr(exc, "restricted_objects", None)
    for obj in referring or ():
        meta = obj._meta
        counts[meta.label_lower] = counts.get(meta.label_lower, 0) + 1
        names[meta.label_lower] = str(
            meta.verbose_name if counts[meta.label_lower] == 1 else meta.verbose_name_plural
        )
    referrers = ", ".join(f"{counts[label]} {names[label]}" for label in counts)
    if not referrers:
        return _("This record is in use by other records and was not deleted.")
    return _("This record is in use by other records and was not deleted: %(referrers)s.") % {
        "referrers": referrers
    }


def clean_text(value):
    if isinstance(value, str):
        return _HOSTILE_CONTROLS.sub("", value).strip()
    return value


def clean_submitted(data):
    """A copy of submitted form (QueryDict) or JSON data with ``clean_text`` applied to each
    text value, so forms and serializers parse what the service will store: a NUL would
    otherwise fail their parsing before the service could strip it."""
    if hasattr(data, "setlist"):
        cleaned = data.copy()
        for key, values in data.lists():
            cleaned.setlist(key, [clean_text(v) for v in values])
        return cleaned
    if isinstance(data, dict):
        return {key: clean_text(value) for key, value in data.items()}
    return data


def display(obj, name: str):
    """A JSON-safe, human-readable value of ``obj.name`` for an event's ``changes``, which
    automation matches by name or label (audit entries store values: ``records.audit``)."""
    field = obj._meta.get_field(name)
    value = getattr(obj, name)
    if value is None or value == "":
        return None
    if name in audit.SECRET_FIELDS:
        return MASK
    if field.is_relation:
        return str(value)
    # Choices by their key, dates as ISO text, decimals as text: as an entry stores them.
    return audit.encode(value)


def _check_fields(entity: Entity, data: dict) -> None:
    """Refuse keys that are not editable fields of the entity, naming each."""
    errors = {}
    for name in data:
        try:
            field = entity.model._meta.get_field(name)
        except FieldDoesNotExist:
            errors[name] = [_("Unknown field.")]
            continue
        # A reverse relation (ForeignObjectRel) is never editable.
        if (
            isinstance(field, ForeignObjectRel)
            or not field.editable
            or field.primary_key
            or field.many_to_many
        ):
            errors[name] = [_("This field cannot be changed.")]
    if errors:
        raise ValidationError(errors)


def _raw(instance, name: str):
    """The value as stored in the row (a foreign key's id, not the related object)."""
    return getattr(instance, instance._meta.get_field(name).attname)


def _stored(instance, name: str):
    return audit.field_value(instance, instance._meta.get_field(name))


def assign_fields(instance, data: dict) -> None:
    for name, value in data.items():
        field = instance._meta.get_field(name)
        value = clean_text(value)
        if isinstance(field, models.ForeignKey) and not isinstance(value, models.Model | None):
            setattr(instance, field.attname, value or None)
        else:
            setattr(instance, name, value)


def _validate(instance, only: list[str] | None = None) -> None:
    """Model validation; on update only the changed fields. Uniqueness and constraints over
    several fields are checked whole: changing one field can break a constraint whose other
    fields did not change."""
    exclude = _known_valid_links(instance)
    if only is not None:
        exclude |= {f.name for f in instance._meta.concrete_fields} - set(only)
    errors: dict[str, list] = {}
    for step in (partial(instance.clean_fields, exclude=exclude), instance.clean):
        try:
            step()
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
    failed = {name for name in errors if name != NON_FIELD_ERRORS}
    for step in (instance.validate_unique, instance.validate_constraints):
        try:
            step(exclude=failed)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


def _known_valid_links(instance) -> set[str]:
    """Foreign keys set to a record already loaded that meets the field's plain
    ``limit_choices_to`` (an active user, an active pick-list value): Django would ask the
    database again whether it exists. A key given as an id, or a record that fails the limit,
    is still checked by Django, with its own message."""
    known = set()
    for field in instance._meta.concrete_fields:
        if not field.many_to_one or not field.is_cached(instance):
            continue
        target = field.get_cached_value(instance)
        if target is None or target.pk is None or target._state.adding:
            continue
        limit = field.get_limit_choices_to() or {}
        if isinstance(limit, dict) and all(
            "__" not in name and getattr(target, name, _UNSET) == value
            for name, value in limit.items()
        ):
            known.add(field.name)
    return known


def creation_changes(
    instance, *, audited_too: bool = True, labels: dict | None = None
) -> tuple[dict, dict]:
    """A new record's audit changes (every audited field holding a value, as stored; empty
    unless ``audited_too``) and its "created" event's (every editable field holding a value, as
    ``display`` shows it), custom values in both. One pass over the fields: imports call it
    for every row, and pass ``labels`` (a dict kept across the records of one write) so a
    related record's name is read once."""
    hidden = audit.hidden_fields(type(instance)) if audited_too else None
    labels = {} if labels is None else labels
    audited, shown = {}, {}
    for field in instance._meta.concrete_fields:
        if not field.editable or field.primary_key:
            continue
        raw = getattr(instance, field.attname)
        if raw is None or raw == "":
            continue
        name = field.name
        if field.is_relation:
            if (name, raw) not in labels:
                labels[(name, raw)] = str(getattr(instance, name))
            shown[name] = [None, labels[(name, raw)]]
            if hidden is not None and name not in hidden:
                audited[name] = [None, audit.ref(field.related_model, raw)]
            continue
        value = audit.encode(raw)
        shown[name] = [None, MASK if name in audit.SECRET_FIELDS else value]
        if hidden is not None and name not in hidden:
            audited[name] = [
                None,
                audit.field_value(instance, field) if name == audit.LINK_ID else value,
            ]
    custom = custom_changes({}, getattr(instance, "custom", None) or {})
    if hidden is not None:
        audited.update(custom)
    shown.update(custom)
    return audited, shown


def deletion_changes(instance) -> dict:
    """What a deleted record held, for its last audit entry."""
    hidden = audit.hidden_fields(type(instance))
    snapshot = {}
    for field in instance._meta.concrete_fields:
        if field.editable and not field.primary_key and field.name not in hidden:
            value = audit.field_value(instance, field)
            if value is not None:
                snapshot[field.name] = [value, None]
    return snapshot


def _set_m2m(
    instance, m2m: dict, changes: dict, audited: dict, *, actor=None, new: bool = False
) -> None:
    hidden = audit.hidden_fields(type(instance))
    for name, values in m2m.items():
        manager = getattr(instance, name)
        if new and all(isinstance(v, models.Model) for v in values):
            # A new record links to nothing yet: one INSERT, no reads before and after.
            before = []
            manager.add(*values)
            after = list({v.pk: v for v in values}.values())
        else:
            if not new:
                # The links to records the editor cannot see stay (REQ OR-3; "Platform v2" 2).
                values = keep_hidden_links(instance, name, values, actor)
            before = list(manager.all())
            manager.set(values)
            after = list(manager.all())
        if {v.pk for v in before} != {v.pk for v in after}:
            changes[name] = [sorted(str(v) for v in before), sorted(str(v) for v in after)]
            if name not in hidden:
                audited[name] = [
                    audit.refs(manager.model, [v.pk for v in before]),
                    audit.refs(manager.model, [v.pk for v in after]),
                ]


def _check_m2m(entity: Entity, m2m: dict) -> None:
    errors = {}
    for name in m2m:
        try:
            field = entity.model._meta.get_field(name)
        except FieldDoesNotExist:
            errors[name] = [_("Unknown field.")]
            continue
        if not field.many_to_many:
            errors[name] = [_("This field cannot be changed.")]
    if errors:
        raise ValidationError(errors)


def write_audit(instance, *, actor, action: str, changes: dict) -> None:
    """Record an audit entry on ``instance``: ``changes`` is {key: [old, new]}, each key a field
    or a key registered with ``audit.register_fact``, each value plain or a record (stored as
    a reference: ``records.audit``), never a text made for the writer."""
    run_together(audit_statement(instance, actor=actor, action=action, changes=changes))


def audit_statement(instance, *, actor, action: str, changes: dict) -> Statement | None:
    """The INSERT of ``instance``'s audit entry, to run beside the write's other rows."""
    entry = {
        "content_type": ContentType.objects.get_for_model(instance).pk,
        "object_id": instance.pk,
        "object_repr": str(instance)[:300],
        "actor": getattr(actor, "pk", None),
        "action": action,
        "changes": audit.encoded(changes),
        "at": timezone.now(),
    }
    return insert_statement(AuditEntry, [entry])


def _emit(
    entity: Entity, instance, name: str, actor, changes: dict, ids: dict | None = None
) -> None:
    events.emit(
        events.Event(
            name=name,
            entity=entity.key,
            object_id=instance.pk,
            actor_id=getattr(actor, "pk", None),
            changes=changes,
            ids=ids or {},
        )
    )


def _split_custom(entity: Entity, data: dict) -> tuple[dict, dict | None]:
    """Custom-field values travel in ``data["custom"]``; split them from the built-in ones."""
    if "custom" not in data:
        return data, None
    data = dict(data)
    custom = data.pop("custom")
    if not entity.has_custom_fields:
        raise ValidationError({"custom_fields": [_("This record has no custom fields.")]})
    return data, custom


def custom_changes(old: dict, new: dict) -> dict:
    """Audit entries for custom values, keyed like the API (``custom_fields.<key>``)."""
    return {
        error_key(key): [old.get(key), new.get(key)]
        for key in sorted(set(old) | set(new))
        if old.get(key) != new.get(key)
    }


class _ErrorCollector:
    """Runs validation steps and gathers every field's errors, so a form shows all at once."""

    def __init__(self):
        self.errors: dict[str, list] = {}

    def run(self, check, *args, default=None, **kwargs):
        try:
            return check(*args, **kwargs)
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for key, messages in exc.message_dict.items():
                    self.errors.setdefault(key, []).extend(messages)
            else:
                self.errors.setdefault("__all__", []).extend(exc.messages)
            return default


class _collected_errors:
    def __enter__(self) -> _ErrorCollector:
        self.collector = _ErrorCollector()
        return self.collector

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None and self.collector.errors:
            raise ValidationError(self.collector.errors)
        return False


def _check_version(locked, expected_version) -> None:
    if expected_version is None or not hasattr(locked, "version"):
        return
    try:
        expected = int(expected_version)
    except (TypeError, ValueError):
        raise ValidationError({"version": [_("Enter a whole number.")]}) from None
    if locked.version != expected:
        raise ConflictError(locked.version)


def with_default_owner(entity: Entity, data: dict, actor) -> dict:
    """``data`` with the entity's owner (``Entity.owner_field``) set to ``actor`` when it is
    left blank: without an owner a sales rep (scope "own") could not see the record he just
    made, so blank means "the creating user" (``Entity.owner_defaults_to_actor``)."""
    name = entity.owner_field
    if (
        entity.owner_defaults_to_actor
        and name
        and "__" not in name
        and not data.get(name)
        and getattr(actor, "pk", None)
    ):
        return {**data, name: actor}
    return data


@_stamps_read_once
@transaction.atomic
def record_create(entity: Entity | str, *, actor, data: dict, m2m: dict | None = None, derive=None):
    """Create one record of ``entity`` from field values; raise ValidationError naming fields.
    A blank owner is the creating user (``with_default_owner``). ``derive(record, {})``, when
    given, sets the fields that follow from the others (a deal's clock from its stage) once
    they are valid, written with the row: neither audited nor in the event."""
    entity = registry.get(entity) if isinstance(entity, str) else entity
    data = with_default_owner(entity, data, actor)
    m2m = m2m or {}
    data, custom = _split_custom(entity, data)
    _check_fields(entity, data)
    _check_m2m(entity, m2m)
    instance = entity.model()
    assign_fields(instance, data)
    with _collected_errors() as errors:
        errors.run(_validate, instance)
        if entity.has_custom_fields:
            instance.custom = errors.run(  # type: ignore[attr-defined]  # has_custom_fields
                validate_custom, entity, custom or {}, {}, actor=actor, default={}
            )
        touched = set(data) | {f"custom.{k}" for k in (getattr(instance, "custom", None) or {})}
        errors.run(
            enforce_rules, entity, instance, touched=touched, before={}, actor=actor, creating=True
        )
    if derive is not None:
        derive(instance, {})
    # A new record: never the UPDATE Django tries first when ``derive`` gave it its id.
    instance.save(force_insert=True)
    audited, changes = creation_changes(instance)
    _set_m2m(instance, m2m, changes, audited, actor=actor, new=True)
    run_together(
        None
        if audit.creation_recorded_elsewhere()
        else audit_statement(
            instance, actor=actor, action=AuditEntry.Action.CREATE, changes=audited
        ),
        *search.index_statements(instance, entity, new=True),
    )
    _emit(entity, instance, events.CREATED, actor, changes)
    return instance


@_stamps_read_once
@transaction.atomic
def records_create_together(entity: Entity | str, *, actor, rows: list[dict]) -> list:
    """Create several records of ``entity`` at once, each checked as ``record_create`` checks
    it (fields, model validation, custom fields, field rules; every row's errors, or nothing
    is written): the rows in one INSERT, their audit entries in one, their search tokens in
    one, and their "created" events delivered together after commit. For a service that writes
    a few records of one kind together — a web form's consents, one per channel (decision
    0114). No many-to-many values and no ``derive``."""
    entity = registry.get(entity) if isinstance(entity, str) else entity
    instances = []
    for data in rows:
        data = with_default_owner(entity, data, actor)
        data, custom = _split_custom(entity, data)
        _check_fields(entity, data)
        instance = entity.model()
        assign_fields(instance, data)
        with _collected_errors() as errors:
            errors.run(_validate, instance)
            if entity.has_custom_fields:
                instance.custom = errors.run(  # type: ignore[attr-defined]  # has_custom_fields
                    validate_custom, entity, custom or {}, {}, actor=actor, default={}
                )
            touched = set(data) | {f"custom.{k}" for k in (getattr(instance, "custom", None) or {})}
            errors.run(
                enforce_rules,
                entity,
                instance,
                touched=touched,
                before={},
                actor=actor,
                creating=True,
            )
        instances.append(instance)
    if not instances:
        return []
    now = timezone.now()
    insert_new(entity.model, instances)
    changed = [creation_changes(instance) for instance in instances]
    audit_rows = None
    if not audit.creation_recorded_elsewhere():
        content_type = ContentType.objects.get_for_model(entity.model).pk
        audit_rows = insert_statement(
            AuditEntry,
            [
                {
                    "content_type": content_type,
                    "object_id": instance.pk,
                    "object_repr": str(instance)[:300],
                    "actor": getattr(actor, "pk", None),
                    "action": AuditEntry.Action.CREATE,
                    "changes": audit.encoded(audited),
                    "at": now,
                }
                for instance, (audited, _changes) in zip(instances, changed, strict=True)
            ],
        )
    run_together(audit_rows)
    search.index_new(entity, instances)
    actor_id = getattr(actor, "pk", None)
    events.emit_many(
        [
            events.Event(
                name=events.CREATED,
                entity=entity.key,
                object_id=instance.pk,
                actor_id=actor_id,
                changes=changes,
            )
            for instance, (_audited, changes) in zip(instances, changed, strict=True)
        ]
    )
    return instances


def _locked(instance, names):
    """``instance``'s row, locked, with the records its fields ``names`` link to (their
    names go into the event and the audit's old value; each would be a query of its own)."""
    meta = instance._meta
    links = [name for name in names if meta.get_field(name).many_to_one]
    query = type(instance)._base_manager
    if links:
        # Only the record's own row is locked, not the linked ones (PostgreSQL's OF).
        of = ("self",) if connection.features.has_select_for_update_of else ()
        query = query.select_related(*links).select_for_update(of=of)
    else:
        query = query.select_for_update()
    return query.get(pk=instance.pk)


@_stamps_read_once
@transaction.atomic
def record_update(
    instance,
    *,
    actor,
    data: dict,
    m2m: dict | None = None,
    expected_version: int | None = None,
    derive=None,
):
    """Change fields of one record. A stale ``expected_version`` raises ConflictError.
    ``derive(record, old)``, when given and something changed, sets the fields that follow
    from the change before the row is written (``old``: the changed fields' previous values,
    a linked record as it was loaded) and returns their names: written in the same UPDATE,
    neither audited nor in the event (a deal's clock restarted by its new stage)."""
    entity = registry.for_model(instance)
    m2m = m2m or {}
    data, custom = _split_custom(entity, data)
    _check_fields(entity, data)
    _check_m2m(entity, m2m)
    # Lock the row: the version check and the write must see the same state.
    locked = _locked(instance, data)
    _check_version(locked, expected_version)
    _check_edit_guards(locked)
    before = {
        name: (_raw(locked, name), display(locked, name), _stored(locked, name)) for name in data
    }
    # The previous values as the record held them (for the search tokens, ``derive``).
    old = {name: getattr(locked, name) for name in data}
    old_custom = dict(getattr(locked, "custom", None) or {})
    assign_fields(locked, data)
    with _collected_errors() as errors:
        errors.run(_validate, locked, only=list(data))
        if custom is not None:
            locked.custom = errors.run(
                validate_custom, entity, custom, old_custom, actor=actor, default=old_custom
            )
        touched = set(data) | {f"custom.{k}" for k in (custom or {})}
        previous = {name: raw for name, (raw, _label, _value) in before.items()}
        previous.update({f"custom.{k}": v for k, v in old_custom.items()})
        errors.run(
            enforce_rules,
            entity,
            locked,
            touched=touched,
            before=previous,
            actor=actor,
            creating=False,
        )
    # Compare stored values, not their labels: two owners or pick-list values may share a
    # name, and moving a record between them is still a change.
    changes = {
        name: [before[name][1], display(locked, name)]
        for name in data
        if before[name][0] != _raw(locked, name)
    }
    hidden = audit.hidden_fields(type(locked))
    audited = {
        name: [before[name][2], _stored(locked, name)] for name in changes if name not in hidden
    }
    changed_custom = custom_changes(old_custom, locked.custom) if custom is not None else {}
    changes.update(changed_custom)
    audited.update(changed_custom)
    _set_m2m(locked, m2m, changes, audited, actor=actor)
    if changes:
        changed_columns = [n for n in changes if n not in m2m and n not in changed_custom]
        changed_old = {name: old[name] for name in changed_columns}
        if changed_custom:
            changed_columns.append("custom")
        if derive is not None:
            changed_columns += derive(locked, changed_old)
        if hasattr(locked, "version"):
            locked.version += 1
            locked.updated_at = timezone.now()
            changed_columns += ["version", "updated_at"]
        if changed_columns:
            locked.save(update_fields=changed_columns)
        # A change of internal fields alone (no row a reader would see) leaves no entry.
        run_together(
            audit_statement(locked, actor=actor, action=AuditEntry.Action.UPDATE, changes=audited)
            if audited
            else None,
            # Only the tokens the changed searched fields change; none when none changed.
            *search.update_statements(
                locked, entity, changed_old, old_custom if changed_custom else None
            ),
        )
        _emit(entity, locked, events.UPDATED, actor, changes, _changed_ids(locked, changed_old))
    return locked


def _changed_ids(instance, old: dict) -> dict:
    """{link field: [old id, new id]} of the changed links among ``old``: an event shows a
    linked record by its name, which two records may share (two pipelines' "proposal")."""
    meta = instance._meta
    ids = {}
    for name, value in old.items():
        field = meta.get_field(name)
        if field.many_to_one:
            ids[name] = [getattr(value, "pk", None), getattr(instance, field.attname)]
    return ids


@_stamps_read_once
@transaction.atomic
def record_delete(instance, *, actor, expected_version: int | None = None) -> None:
    """Delete one record, keeping an audit entry of what it was."""
    entity = registry.for_model(instance)
    locked = type(instance)._base_manager.select_for_update().get(pk=instance.pk)
    _check_version(locked, expected_version)
    _check_edit_guards(locked)
    snapshot = deletion_changes(locked)
    pk = locked.pk
    run_together(
        audit_statement(locked, actor=actor, action=AuditEntry.Action.DELETE, changes=snapshot),
        search.unindex_statement(locked, entity),
    )
    locked.delete()
    locked.pk = pk
    _emit(entity, locked, events.DELETED, actor, {})

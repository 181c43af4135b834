"""Custom-field values: validation and normalization of the ``custom`` JSON column.

One definition (``CustomField``) decides how a value is checked and stored, whether it comes
from a form, the API, the importer or automation (REQ CX-1 … CX-6). Values are stored as
plain JSON: numbers as numbers, dates as ISO text, choices by their key, links by id.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from kesher.platform import stamps
from kesher.platform.customfields.types import EMPTY, type_of
from kesher.platform.models import CustomField, FieldRule
from kesher.platform.registry import Entity

__all__ = [
    "EMPTY",
    "clean_value",
    "definitions_for",
    "error_key",
    "rules_for",
    "validate_custom",
]


def error_key(key: str) -> str:
    return f"custom_fields.{key}"


def _all_definitions(key: str) -> list[CustomField]:
    return list(
        CustomField.objects.filter(entity=key).select_related("parent").order_by("order", "pk")
    )


def definitions_for(entity: Entity | str, *, active_only: bool = True) -> list[CustomField]:
    """The entity's custom fields in their form order (only active ones unless asked).

    Read once per process until an administrator changes them (``stamps.py``): a list page
    asks from its columns, filter, sort and index choice, and every write validates with them.
    The instances are shared: read them, never change them.
    """
    key = entity if isinstance(entity, str) else entity.key
    everything = stamps.cached(stamps.FIELDS, f"custom:{key}", lambda: _all_definitions(key))
    return [d for d in everything if d.active or not active_only]


def _checking_rules(key: str) -> list[FieldRule]:
    # A rule that only hides its field (or a section) checks no write: writes never load the
    # actor's role for it (decision 0047).
    return [
        rule
        for rule in FieldRule.objects.filter(entity=key, active=True)
        if rule.field
        and (rule.required or rule.required_statuses or rule.read_only_roles or rule.validator)
    ]


def rules_for(entity: Entity | str) -> list[FieldRule]:
    """The entity's active field rules that check writes (required, read-only, masks), cached
    like the definitions (shared: read only)."""
    key = entity if isinstance(entity, str) else entity.key
    return stamps.cached(stamps.FIELDS, f"rules:{key}", lambda: _checking_rules(key))


def clean_value(definition: CustomField, value, *, parent_value=None, actor=None):
    """The stored form of one value; raises ValidationError with a translated message."""
    field_type = type_of(definition)
    if value in EMPTY:
        return field_type.empty
    return field_type.clean(definition, value, parent_value, actor)


def validate_custom(
    entity: Entity | str,
    submitted: dict,
    existing: dict | None = None,
    *,
    actor=None,
    definitions: list[CustomField] | None = None,
    clean=clean_value,
) -> dict:
    """Merge ``submitted`` custom values into ``existing``; every problem named by its key.

    Unknown keys and inactive fields are refused; values of inactive fields already stored are
    kept untouched (deactivating a field keeps its data). Required fields must end up filled.
    A caller checking many records (bulk update, REQ IM-4) passes the entity's ``definitions``
    (all of them, active or not) loaded once and a memoizing ``clean`` (same signature as
    ``clean_value``), so each record costs no query.
    """
    if not isinstance(submitted, dict):
        raise ValidationError({"custom_fields": [_("Enter an object of custom-field values.")]})
    existing = dict(existing or {})
    if definitions is None:
        definitions = definitions_for(entity, active_only=False)
    all_definitions = {d.key: d for d in definitions}
    active = {k: d for k, d in all_definitions.items() if d.active}
    errors: dict[str, list[str]] = {}
    for key in submitted:
        if key not in active:
            errors[error_key(str(key)[:60])] = [_("Unknown field.")]
    if errors:
        raise ValidationError(errors)
    merged = {**existing, **submitted}
    result = dict(existing)
    # Parents before children, so a child checks against its parent's cleaned value.
    for definition in sorted(active.values(), key=lambda d: _depth(d)):
        if definition.key not in submitted:
            if definition.key in existing:
                continue
            if definition.default not in EMPTY and not existing:
                merged[definition.key] = definition.default
            else:
                continue
        parent_value = result.get(definition.parent.key) if definition.parent else None
        try:
            cleaned = clean(
                definition, merged[definition.key], parent_value=parent_value, actor=actor
            )
        except ValidationError as exc:
            errors[error_key(definition.key)] = exc.messages
            continue
        if cleaned in EMPTY:
            result.pop(definition.key, None)
        else:
            result[definition.key] = cleaned
    for definition in active.values():
        if definition.required and result.get(definition.key) in EMPTY:
            errors.setdefault(error_key(definition.key), [_("This field is required.")])
    # A child whose parent changed must be chosen again (REQ CX-6).
    for definition in active.values():
        if definition.key in result and definition.key not in submitted and definition.parent:
            parent_value = result.get(definition.parent.key)
            try:
                clean(definition, result[definition.key], parent_value=parent_value)
            except ValidationError as exc:
                errors.setdefault(error_key(definition.key), exc.messages)
    if errors:
        raise ValidationError(errors)
    return result


def _depth(definition: CustomField) -> int:
    depth = 0
    node = definition
    while depth < 5 and node.parent:
        depth += 1
        node = node.parent
    return depth

"""Custom-field values: validation and normalization of the ``custom`` JSON column.

One definition (``CustomField``) decides how a value is checked and stored, whether it comes
from a form, the API, the importer or automation (REQ CX-1 … CX-6). Values are stored as
plain JSON: numbers as numbers, dates as ISO text, choices by their key, links by id.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from stdnum import exceptions as stdnum_errors
from stdnum.il import hp, idnr

from kesher.platform import stamps
from kesher.platform.fields import normalize_phone
from kesher.platform.models import Choice, CustomField, FieldRule
from kesher.platform.registry import Entity, registry

__all__ = [
    "clean_value",
    "definitions_for",
    "error_key",
    "rules_for",
    "validate_custom",
]

MAX_TEXT = 1000
MAX_LONG_TEXT = 20_000
EMPTY = (None, "", [])


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


def rules_for(entity: Entity | str) -> list[FieldRule]:
    """The entity's active field rules, cached like the definitions (shared: read only)."""
    key = entity if isinstance(entity, str) else entity.key
    return stamps.cached(
        stamps.FIELDS,
        f"rules:{key}",
        lambda: list(FieldRule.objects.filter(entity=key, active=True)),
    )


def _text(value, limit: int) -> str:
    from kesher.platform.records.services import clean_text

    if not isinstance(value, str):
        raise ValidationError(_("Enter text."))
    value = clean_text(value)
    if len(value) > limit:
        raise ValidationError(
            _("Ensure this value has at most %(limit)d characters (it has %(length)d).")
            % {"limit": limit, "length": len(value)}
        )
    return value


def _number(value, integer: bool, places: int | None = None):
    if isinstance(value, bool):
        raise ValidationError(_("Enter a number."))
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValidationError(_("Enter a number.")) from None
    if not number.is_finite() or abs(number) >= Decimal("1e15"):
        raise ValidationError(_("Enter a number."))
    if integer:
        if number != number.to_integral_value():
            raise ValidationError(_("Enter a whole number."))
        return int(number)
    if places is not None:
        number = number.quantize(Decimal(1).scaleb(-places))
    return float(number)


def _date(value) -> str:
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            pass
    raise ValidationError(_("Enter a valid date (YYYY-MM-DD)."))


def _datetime(value) -> str:
    parsed = value if isinstance(value, datetime.datetime) else None
    if isinstance(value, str):
        try:
            parsed = parse_datetime(value.strip())
        except ValueError:
            parsed = None
    if parsed is None:
        raise ValidationError(_("Enter a valid date and time."))
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    # Stored in UTC so that stored values sort and compare as text.
    return parsed.astimezone(datetime.UTC).isoformat(timespec="seconds")


def _boolean(value) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "1", "on", "yes", "כן"):
        return True
    if isinstance(value, str) and value.lower() in ("false", "0", "off", "no", "לא"):
        return False
    raise ValidationError(_("Enter yes or no."))


def _choice(definition: CustomField, value, parent_value) -> str:
    text = _text(value, 200)
    choice = Choice.objects.filter(list_key=definition.choice_list, value=text).first()
    if choice is None or not choice.active:
        if definition.allow_free_text and not definition.parent_id:
            return text
        raise ValidationError(
            _("Select a valid choice. %(value)s is not one of the available choices.")
            % {"value": text[:60]}
        )
    if definition.parent_id:
        parent_key = choice.parent.value if choice.parent_id else None
        if parent_value in EMPTY:
            raise ValidationError(
                _("Choose %(parent)s first.") % {"parent": definition.parent.label}
            )
        if parent_key != parent_value:
            raise ValidationError(
                _("%(value)s does not belong to %(parent)s.")
                % {"value": choice.label, "parent": parent_value}
            )
    return text


def _stdnum(module, value, message) -> str:
    try:
        return module.validate(_text(value, 20))
    except stdnum_errors.ValidationError:
        raise ValidationError(message) from None


def _link(definition: CustomField, value, actor) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValidationError(_("Enter a record id."))
    try:
        pk = int(value)
    except ValueError:
        raise ValidationError(_("Enter a record id.")) from None
    if definition.type == CustomField.Type.USER:
        from kesher.org.models import User

        if not User.objects.filter(pk=pk, is_active=True).exists():
            raise ValidationError(_("Choose an active user."))
        return pk
    target = registry.get(definition.link_entity)
    qs = target.model.objects.all()
    if actor is not None:
        qs = qs.visible_to(actor)
    if not qs.filter(pk=pk).exists():
        raise ValidationError(_("No such record."))
    return pk


def clean_value(definition: CustomField, value, *, parent_value=None, actor=None):
    """The stored form of one value; raises ValidationError with a translated message."""
    kind = CustomField.Type
    t = definition.type
    if value in EMPTY:
        return [] if t == kind.MULTI_CHOICE else None
    if t == kind.TEXT:
        return _text(value, MAX_TEXT)
    if t == kind.LONG_TEXT:
        return _text(value, MAX_LONG_TEXT)
    if t == kind.INTEGER:
        return _number(value, integer=True)
    if t in (kind.DECIMAL, kind.MONEY):
        return _number(value, integer=False, places=2 if t == kind.MONEY else None)
    if t == kind.DATE:
        return _date(value)
    if t == kind.DATETIME:
        return _datetime(value)
    if t == kind.BOOLEAN:
        return _boolean(value)
    if t == kind.CHOICE:
        return _choice(definition, value, parent_value)
    if t == kind.MULTI_CHOICE:
        values = value if isinstance(value, list) else [value]
        if len(values) > 100:
            raise ValidationError(_("Too many values."))
        cleaned = [_choice(definition, v, parent_value) for v in values]
        return list(dict.fromkeys(cleaned))
    if t in (kind.USER, kind.LINK):
        return _link(definition, value, actor)
    if t == kind.EMAIL:
        text = _text(value, 254).lower()
        EmailValidator(message=_("Enter a valid email address."))(text)
        return text
    if t == kind.PHONE:
        return normalize_phone(_text(value, 40))
    if t == kind.URL:
        text = _text(value, 500)
        URLValidator(message=_("Enter a valid URL."))(text)
        return text
    if t == kind.ISRAELI_ID:
        return _stdnum(idnr, value, _("Enter a valid Israeli ID number."))
    if t == kind.COMPANY_NUMBER:
        return _stdnum(hp, value, _("Enter a valid company number."))
    raise ValidationError(_("Unknown field type."))


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
        parent_value = result.get(definition.parent.key) if definition.parent_id else None
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
        if definition.parent_id and definition.key in result and definition.key not in submitted:
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
    while node.parent_id and depth < 5:
        depth += 1
        node = node.parent
    return depth

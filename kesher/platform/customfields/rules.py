"""Field rules: required (always or at some statuses), read-only for roles, masks — checked
in the service layer for every write path (REQ CX-3, CX-5, SV-4, CX-9)."""

from __future__ import annotations

import re

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.utils.translation import gettext as _
from stdnum import exceptions as stdnum_errors
from stdnum.il import hp, idnr

from kesher.platform.customfields.values import rules_for
from kesher.platform.fields import normalize_phone
from kesher.platform.models import FieldRule, localized
from kesher.platform.registry import Entity, registry

__all__ = ["check_rule", "enforce_rules"]

EMPTY: tuple[object, ...] = (None, "", [])


def check_rule(rule: FieldRule) -> None:
    """A rule must name a real field or section of its entity, real roles and a usable
    pattern; a section is stored under its one name (``visibility.sections_of``)."""
    errors = {}
    try:
        entity = registry.get(rule.entity)
    except KeyError:
        raise ValidationError({"entity": _("Unknown entity.")}) from None
    if rule.field and rule.section:
        errors["section"] = _("Name a field or a section, not both.")
    elif rule.section:
        errors.update(_check_section(entity, rule))
    elif not rule.field:
        errors["field"] = _("Name a field, or a section to hide.")
    elif rule.field.startswith("custom."):
        from kesher.platform.models import CustomField

        if not CustomField.objects.filter(
            entity=rule.entity, key=rule.field.removeprefix("custom.")
        ).exists():
            errors["field"] = _("Unknown field: %(field)s.") % {"field": rule.field}
    else:
        try:
            field = entity.model._meta.get_field(rule.field)
            if not field.concrete or not field.editable:
                errors["field"] = _("This field cannot have rules.")
        except FieldDoesNotExist:
            errors["field"] = _("Unknown field: %(field)s.") % {"field": rule.field}
    if rule.validator == FieldRule.Validator.REGEX:
        try:
            re.compile(rule.pattern)
        except re.error:
            errors["pattern"] = _("This is not a valid regular expression.")
        if not rule.pattern:
            errors["pattern"] = _("Enter the regular expression.")
    if rule.required_statuses and not entity.status_field:
        errors["required_statuses"] = _("This entity has no status.")
    for name in ("required_statuses", "read_only_roles", "hidden_roles"):
        value = getattr(rule, name)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            errors[name] = _("Enter a list of keys.")
        elif name != "required_statuses" and value:
            unknown = _unknown_roles(value)
            if unknown:
                errors[name] = _("Unknown role: %(role)s.") % {"role": ", ".join(unknown)}
    if errors:
        raise ValidationError(errors)


def _check_section(entity: Entity, rule: FieldRule) -> dict:
    from kesher.platform.visibility import find_section

    found = find_section(entity, rule.section)
    if found is None:
        return {"section": _("Unknown section: %(section)s.") % {"section": rule.section[:100]}}
    rule.section = found.name
    if (
        rule.required
        or rule.required_statuses
        or rule.read_only_roles
        or rule.validator
        or rule.pattern
    ):
        return {"section": _("A rule on a section can only hide it from roles.")}
    return {}


def _unknown_roles(keys: list[str]) -> list[str]:
    from kesher.org.models import Role

    known = set(Role.objects.filter(key__in=keys).values_list("key", flat=True))
    return [key[:40] for key in keys if key not in known]


def _value(instance, name: str):
    if name.startswith("custom."):
        return (getattr(instance, "custom", None) or {}).get(name.removeprefix("custom."))
    field = instance._meta.get_field(name)
    if field.many_to_many:
        return None
    return getattr(instance, field.attname)


def _error_key(name: str) -> str:
    return f"custom_fields.{name.removeprefix('custom.')}" if name.startswith("custom.") else name


def _status_key(entity: Entity, instance) -> str | None:
    if not entity.status_field:
        return None
    status = getattr(instance, entity.status_field, None)
    return getattr(status, "value", status)


def _mask_error(rule: FieldRule, value) -> str | None:
    if value in EMPTY:
        return None
    text = str(value)
    messages: dict[str, str] = {
        FieldRule.Validator.ISRAELI_ID: _("Enter a valid Israeli ID number."),
        FieldRule.Validator.COMPANY_NUMBER: _("Enter a valid company number."),
        FieldRule.Validator.PHONE: _("Enter a valid phone number."),
        FieldRule.Validator.EMAIL: _("Enter a valid email address."),
        FieldRule.Validator.URL: _("Enter a valid URL."),
        FieldRule.Validator.REGEX: _("The value does not match the required format."),
    }
    default = messages[rule.validator]
    message = localized(rule, "message") or default
    try:
        if rule.validator == FieldRule.Validator.ISRAELI_ID:
            idnr.validate(text)
        elif rule.validator == FieldRule.Validator.COMPANY_NUMBER:
            hp.validate(text)
        elif rule.validator == FieldRule.Validator.PHONE:
            normalize_phone(text)
        elif rule.validator == FieldRule.Validator.EMAIL:
            EmailValidator()(text)
        elif rule.validator == FieldRule.Validator.URL:
            URLValidator()(text)
        elif not re.fullmatch(rule.pattern, text):
            return message
    except (stdnum_errors.ValidationError, ValidationError):
        return message
    return None


def enforce_rules(
    entity: Entity,
    instance,
    *,
    touched: set[str],
    before: dict,
    actor,
    creating: bool,
    rules: list[FieldRule] | None = None,
) -> None:
    """Raise a ValidationError naming each field that breaks one of the entity's rules.

    ``touched``: the fields this write sets (``custom.<key>`` for custom ones); ``before``: their
    values before the write. A requirement is checked when the record is created, when the
    field is written, and — for "required at these statuses" — when the status changes, so a
    transition that leaves the field empty is refused (SV-4) while older records stay editable.
    """
    if rules is None:
        rules = rules_for(entity)
    if not rules:
        return
    role_key = getattr(getattr(actor, "role", None), "key", None)
    status = _status_key(entity, instance)
    status_moved = bool(entity.status_field) and entity.status_field in touched
    errors: dict[str, list[str]] = {}
    for rule in rules:
        value = _value(instance, rule.field)
        key = _error_key(rule.field)
        written = rule.field in touched and (creating or before.get(rule.field) != value)
        if rule.read_only_roles and role_key in rule.read_only_roles and written:
            errors.setdefault(key, []).append(_("You may not change this field."))
            continue
        at_status = status is not None and status in rule.required_statuses
        if value in EMPTY:
            if rule.required and (creating or written):
                errors.setdefault(key, []).append(_("This field is required."))
            elif at_status and (creating or written or status_moved):
                errors.setdefault(key, []).append(_("This field is required at this status."))
            continue
        if rule.validator and written:
            message = _mask_error(rule, value)
            if message:
                errors.setdefault(key, []).append(message)
    if errors:
        raise ValidationError(errors)

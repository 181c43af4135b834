"""Rows that repeat a person or a company: the dry run flags them, the import skips them
(issue 14 item 7, decision 0048).

A row is a duplicate when one of its phones or its e-mail — normalized as ``kesher.dedupe``
normalizes them: e-mail trimmed and lower-cased, a phone in E.164 (the phone field's own
cleaning in ``engine.convert_row``) — is that of an earlier row of the file, or, for a row that
would create a record, that of an existing record the importer may see (records he may not see
are not his to be told about) — of the entity imported, or of one its duplicate check also
matches against (a lead: contacts and accounts, REQ SA-1). Rows are checked a batch at a time:
one query per kind of key, entity and batch, never one per row. The same external id twice in
a file is an error (``engine.check_repeat``); so is the same value of the field an update
matches by.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from kesher.dedupe.normalize import normalize_email
from kesher.imports.engine import Plan, RowError, RowValues
from kesher.platform.fields import PhoneField
from kesher.platform.records.lookups import emails_in, leads_an_index

__all__ = ["DuplicateRow", "find"]

EMAIL, PHONE = "email", "phone"


class DuplicateRow(RowError):
    """A row skipped as a duplicate: reported, counted apart from bad rows, never an error."""


def _key_fields(model) -> dict[str, str]:
    """The model's e-mail and phone fields (name → kind)."""
    result = {}
    for model_field in model._meta.concrete_fields:
        if isinstance(model_field, PhoneField):
            result[model_field.name] = PHONE
        elif isinstance(model_field, models.EmailField):
            result[model_field.name] = EMAIL
    return result


def _keys(values: RowValues, fields: dict[str, str]) -> list[tuple[str, str, str]]:
    """(kind, normalized key, field) of a row's phones and e-mail."""
    result = []
    for name, kind in fields.items():
        value = values.data.get(name)
        if not value:
            continue
        key = normalize_email(value) if kind == EMAIL else str(value)
        if key:
            result.append((kind, key, name))
    return result


def find(plan: Plan, converted: list[tuple[int, RowValues]], creating: set[int]) -> dict:
    """Row → DuplicateRow for the rows of ``converted`` (row, values) that repeat an earlier
    row of the file or, among ``creating`` (the rows that would create a record), an existing
    record; empty when the mapping imports duplicates."""
    if not plan.skip_duplicates:
        return {}
    fields = _key_fields(plan.entity.model)
    mapped = {c.target.key for c in plan.columns}
    fields = {name: kind for name, kind in fields.items() if name in mapped}
    if not fields:
        return {}
    result: dict[int, DuplicateRow] = {}
    keys = {row: _keys(values, fields) for row, values in converted}
    for row, row_keys in keys.items():
        for kind, key, name in row_keys:
            first = plan.contact_keys.setdefault(kind, {}).setdefault(key, row)
            if first != row and row not in result:
                message = (
                    _("Same e-mail as row %(row)s of the file.")
                    if kind == EMAIL
                    else _("Same phone as row %(row)s of the file.")
                ) % {"row": first}
                result[row] = DuplicateRow([(plan.column_for(name), message, key)])
    wanted = {
        (kind, key, name)
        for row, row_keys in keys.items()
        if row in creating and row not in result
        for kind, key, name in row_keys
    }
    if not wanted:
        return result
    existing = _existing_keys(plan, wanted)
    for row, row_keys in keys.items():
        if row not in creating or row in result:
            continue
        for kind, key, name in row_keys:
            if (kind, key) in existing:
                result[row] = DuplicateRow(
                    [(plan.column_for(name), _existing_message(kind, existing[kind, key]), key)]
                )
                break
    return result


def _existing_message(kind: str, other) -> str:
    """What the row repeats: a record of the imported entity, or of ``other`` entity."""
    if other is None:
        return (
            _("An existing record has this e-mail.")
            if kind == EMAIL
            else _("An existing record has this phone.")
        )
    label = capfirst(other.label)
    return (
        _("An existing record (%(kind)s) has this e-mail.")
        if kind == EMAIL
        else _("An existing record (%(kind)s) has this phone.")
    ) % {"kind": label}


def _checked_entities(plan: Plan) -> list:
    """The imported entity, then those its duplicate check also matches against that the
    importer may see."""
    finder = plan.entity.duplicate_finder
    others = finder.other_entities(plan.actor) if hasattr(finder, "other_entities") else []
    return [plan.entity, *others]


def _existing_keys(plan: Plan, wanted: set) -> dict[tuple[str, str], object]:
    """The (kind, key) pairs of ``wanted`` some record the importer may see holds, each with
    the entity holding it (None: the imported one). Per entity checked: one query for e-mails
    (on the lower-cased e-mail's index), one for phones (its indexed phone fields)."""
    found: dict[tuple[str, str], object] = {}
    emails = {key for kind, key, _n in wanted if kind == EMAIL}
    phones = {key for kind, key, _n in wanted if kind == PHONE}
    for entity in _checked_entities(plan):
        model = entity.model
        holder = None if entity is plan.entity else entity
        every = _key_fields(model)
        existing = model.objects.visible_to(plan.actor)
        email_fields = [name for name, kind in every.items() if kind == EMAIL]
        # Phones are compared with the indexed phone fields only: one unindexed field in the
        # OR would read the whole table each batch (an account's mobile).
        phone_fields = [
            name for name, kind in every.items() if kind == PHONE and leads_an_index(model, name)
        ]
        for name in email_fields if emails else ():
            rows = emails_in(existing, name, emails).order_by()
            for value in rows.values_list(name, flat=True):
                if value:
                    found.setdefault((EMAIL, value.lower()), holder)
        if phones and phone_fields:
            condition = Q()
            for name in phone_fields:
                condition |= Q(**{f"{name}__in": phones})
            for values in existing.filter(condition).order_by().values_list(*phone_fields):
                for value in values:
                    if value in phones:
                        found.setdefault((PHONE, value), holder)
    return found

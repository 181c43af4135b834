"""What an audit entry stores: values, not the writer's view of them (decision 0042).

An entry's ``changes`` maps a key to ``[old, new]``. The key is a field's name, a custom
field's ``custom_fields.<key>``, or a key registered here for a fact that is no field (a file
attached, a merge). Each value is stored as it is, never as shown: text, numbers, yes/no,
dates and date-times as ISO text, decimals as text, pick-list and choice keys, custom values
as the ``custom`` column holds them, and linked records as ``{"ref": <entity key>, "id": 7}``
(``"ids": [...]`` for several). ``"_v": 2`` marks this format; an entry without it holds the
text its writer saw (format 1). ``kesher.platform.records.history`` shows both to a reader:
labels and values in his language and time zone, and only the linked records he may see.

Secrets (a password) and the internal fields an entity names in ``audit_exclude`` (account
flags, a task's ``is_open`` that mirrors its status) are never stored.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils.functional import Promise

from kesher.platform.registry import registry

__all__ = [
    "FORMAT",
    "FORMAT_KEY",
    "LINK_ID",
    "SECRET_FIELDS",
    "Fact",
    "creation_recorded_elsewhere",
    "creations_recorded_elsewhere",
    "encode",
    "encoded",
    "fact_for",
    "field_value",
    "hidden_fields",
    "ref",
    "ref_key",
    "refs",
    "register_fact",
    "register_fact_family",
]

FORMAT_KEY = "_v"
FORMAT = 2

# Never stored, whatever the entity.
SECRET_FIELDS = frozenset({"password"})

# The link of an interaction or a task to any record (decision 0019): ``link_id`` is read
# with the ``link_type`` beside it.
LINK_TYPE, LINK_ID = "link_type", "link_id"


class Fact:
    """A key of ``changes`` that is no field of the record: its label, and the labels of its
    values when they are keys (an approval step's decision)."""

    def __init__(self, label, choices=None):
        self.label = label
        self.choices = choices


_facts: dict[str, Fact] = {}


def register_fact(key: str, label, *, choices=None) -> str:
    """Name a key apps write into ``changes`` besides fields (``gettext_lazy`` label: shown in
    the reader's language); ``choices`` ((key, label) pairs) labels its values."""
    _facts[key] = Fact(label, dict(choices) if choices is not None else None)
    return key


_families: dict[str, Callable[[str], Fact]] = {}


def register_fact_family(prefix: str, fact: Callable[[str], Fact]) -> str:
    """Name the keys that start with ``prefix`` and go on with a part known only when read (a
    role's right on one kind of record, ``grants.accounts.delete``): ``fact(rest)`` gives the
    Fact of each."""
    _families[prefix] = fact
    return prefix


def fact_for(key: str) -> Fact | None:
    found = _facts.get(key)
    if found is None:
        for prefix, fact in _families.items():
            if key.startswith(prefix):
                return fact(key.removeprefix(prefix))
    return found


def ref_key(model) -> str:
    """How a stored link names its target's kind: the entity key, or ``app_label.model`` for
    a model that is no entity (tags)."""
    if registry.has_model(model):
        return registry.for_model(model).key
    return model._meta.label_lower


def ref(model, pk) -> dict | None:
    return None if pk is None else {"ref": ref_key(model), "id": pk}


def refs(model, pks: Iterable) -> dict:
    return {"ref": ref_key(model), "ids": sorted(pks)}


def hidden_fields(model) -> frozenset:
    """The fields of ``model`` whose changes its entries never hold."""
    if registry.has_model(model):
        return SECRET_FIELDS | frozenset(registry.for_model(model).audit_exclude)
    return SECRET_FIELDS


def field_value(obj, field):
    """The stored form of ``obj``'s value of ``field``, read without a query: a linked
    record by its id, whether or not it is loaded."""
    raw = getattr(obj, field.attname)
    if raw is None or raw == "":
        return None
    if field.many_to_one or field.one_to_one:
        return ref(field.related_model, raw)
    if field.name == LINK_ID and getattr(obj, LINK_TYPE, "") in registry.keys():  # noqa: SIM118  (a list)
        return {"ref": obj.link_type, "id": raw}
    return encode(raw)


_PLAIN = frozenset({str, int, float, bool})


def encode(value):
    """A value as an entry stores it; records become references (see the module's doc)."""
    if type(value) in _PLAIN:
        # Most values, first: an import encodes a few per row, 100,000 rows at a time.
        return None if value == "" else value
    if value is None:
        return None
    if isinstance(value, models.Model):
        return ref(type(value), value.pk)
    if isinstance(value, models.QuerySet):
        return refs(value.model, value.values_list("pk", flat=True))
    if isinstance(value, list | tuple | set | frozenset):
        items = list(value)
        if items and all(isinstance(item, models.Model) for item in items):
            return refs(type(items[0]), [item.pk for item in items])
        return [encode(item) for item in items]
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Promise):
        raise TypeError("store a key, not a translated text: the reader's language decides")
    if isinstance(value, str | int | float | bool | dict):
        return value
    return str(value)


def encoded(changes: dict) -> dict:
    """``changes`` ({key: [old, new]} of plain or model values) in the stored format."""
    stored: dict[str, Any] = {FORMAT_KEY: FORMAT}
    for key, (old, new) in changes.items():
        stored[key] = [encode(old), encode(new)]
    return stored


# Set while another record already says that (and by whom) records are being created — an
# import's row records (issue 26: no row written that another row already says).
_creations_recorded: ContextVar[bool] = ContextVar("creations_recorded", default=False)


@contextmanager
def creations_recorded_elsewhere():
    """Within it, ``record_create`` writes no "created" audit entry: the caller keeps its own
    record of each creation and shows it on the record's timeline."""
    handle = _creations_recorded.set(True)
    try:
        yield
    finally:
        _creations_recorded.reset(handle)


def creation_recorded_elsewhere() -> bool:
    return _creations_recorded.get()

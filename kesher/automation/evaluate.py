"""Checking a rule's condition on the saved record in Python, without a query, when the
compiled filter (``kesher.platform.lists.filterlang``) is simple enough: comparisons of the record's
own columns (text, numbers, yes/no, pick-lists and links by id). Anything else — dates, related
fields, custom fields, tags — is left to the database (``engine.record_matches``).

It reads the same ``Q`` the database would run, with SQL's treatment of empty values: a
comparison with an empty value is false, and its negation true (as Django negates a lookup on a
nullable column).
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Q

__all__ = ["python_test"]

Test = Callable[[models.Model], bool]


def _compare(op: str, value, wanted) -> bool:
    if op == "isnull":
        return (value is None) == bool(wanted)
    if value is None:
        return False
    if op == "exact":
        return value == wanted
    if op == "in":
        return value in wanted
    if op == "icontains":
        return str(wanted).casefold() in str(value).casefold()
    if op == "istartswith":
        return str(value).casefold().startswith(str(wanted).casefold())
    return {
        "gt": value > wanted,
        "gte": value >= wanted,
        "lt": value < wanted,
        "lte": value <= wanted,
    }[op]


OPS = {"exact", "in", "icontains", "istartswith", "gt", "gte", "lt", "lte", "isnull"}


def _plain(value) -> bool:
    if isinstance(value, list | tuple | set):
        return all(_plain(v) for v in value)
    return (
        value is None or isinstance(value, str | int | float | bool) or hasattr(value, "as_tuple")
    )


def _leaf(model, lookup: str, wanted, plain_fields: set) -> Test | None:
    name, _, op = lookup.partition("__")
    op = op or "exact"
    if op not in OPS:
        return None
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    # Dates compare in the database's time zone rules; leave them to it.
    if not field.concrete or field.many_to_many or isinstance(field, models.DateField):
        return None
    if isinstance(wanted, models.Model):
        wanted = wanted.pk
    if isinstance(wanted, list | tuple | set):
        wanted = [w.pk if isinstance(w, models.Model) else w for w in wanted]
    if not _plain(wanted):
        return None
    attname = field.attname
    if not field.is_relation and not isinstance(field, models.DecimalField):
        plain_fields.add(attname)
    else:
        plain_fields.add(None)  # read from the saved row, not from an event's changes
    return lambda record: _compare(op, getattr(record, attname), wanted)


def python_test(model, q: Q | None) -> tuple[Test | None, frozenset | None]:
    """A function deciding ``q`` for one saved record of ``model`` (None if ``q`` needs the
    database), and the columns it reads when they are all plain values — text, numbers,
    yes/no — that a "created" event's changes carry as stored (None otherwise)."""
    if q is None:
        return None, None
    plain_fields: set = set()

    def build(node) -> Test | None:
        if isinstance(node, Q):
            parts = [build(child) for child in node.children]
            if not parts or any(p is None for p in parts):
                return None
            join = all if node.connector == Q.AND else any

            def test(record, parts=parts, join=join, negated=node.negated):
                result = join(part(record) for part in parts)
                return not result if negated else result

            return test
        if isinstance(node, tuple) and len(node) == 2 and isinstance(node[0], str):
            return _leaf(model, node[0], node[1], plain_fields)
        return None

    test = build(q)
    if test is None or None in plain_fields:
        return test, None
    return test, frozenset(plain_fields)

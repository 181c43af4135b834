"""Keyset (seek) pagination: deep pages of a large list cost what the first page costs.

DESIGN.md "Lists at scale": instead of ``OFFSET n`` (which reads and throws away n rows), the
next page starts right after the last row shown: ``WHERE (last_name, first_name, id) >
('לוי', 'משה', 7731) ORDER BY last_name, first_name, id LIMIT 51`` — one index range scan,
whatever the depth. The cursor carries the last (or first) row's sort values and its id, and
is opaque to users: url-safe base64 of a small JSON list. The list page (tables.py) and the
API's pagination (api/pagination.py) both use it.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import decimal
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.db.models import F, Q, Value

__all__ = ["CURSOR_PARAM", "Keyset", "Seek", "with_default_ties"]

CURSOR_PARAM = "cursor"
_FORWARD, _BACKWARD = "n", "p"


class RowCompare(models.Func):
    """``(a, b, c) > (x, y, z)``: a row-value comparison, which SQLite (3.15+) and PostgreSQL
    answer with one index range scan (SQLite's documentation recommends it for exactly this:
    "scrolling window queries")."""

    output_field = models.BooleanField()
    conditional = True

    def __init__(self, columns: Sequence[str], values: Sequence, fields, operator: str):
        self.width = len(columns)
        self.operator = operator
        typed = [Value(v, output_field=f) for v, f in zip(values, fields, strict=True)]
        super().__init__(*(F(c) for c in columns), *typed)

    def as_sql(self, compiler, connection, **extra_context):
        parts, params = [], []
        for expression in self.get_source_expressions():
            sql, expression_params = compiler.compile(expression)
            parts.append(sql)
            params.extend(expression_params)
        left, right = ", ".join(parts[: self.width]), ", ".join(parts[self.width :])
        return f"({left}) {self.operator} ({right})", params


@dataclass(frozen=True)
class Seek:
    """A decoded cursor: the sort values of the row to continue from, and which way."""

    values: tuple
    backward: bool


@dataclass(frozen=True)
class Keyset:
    """An ordering that can be seeked: plain, non-null columns of the model ending in its key."""

    model: type[models.Model]
    fields: tuple[tuple[str, bool], ...]  # (field name, descending)

    @classmethod
    def for_ordering(cls, model, ordering: Sequence) -> Keyset | None:
        """The keyset of ``ordering`` with the primary key appended as the last tie-breaker,
        or None when a term cannot be seeked (an expression, a relation, a nullable column:
        NULLs sort differently on SQLite and PostgreSQL); such lists page by offset."""
        pk_name = model._meta.pk.name
        fields: list[tuple[str, bool]] = []
        for term in ordering:
            if not isinstance(term, str) or term == "?":
                return None
            descending = term.startswith("-")
            name = term.lstrip("-+")
            name = pk_name if name == "pk" else name
            try:
                field = model._meta.get_field(name)
            except FieldDoesNotExist:
                return None
            if not getattr(field, "concrete", False) or field.is_relation or field.null:
                return None
            fields.append((name, descending))
            if field.primary_key or field.unique:
                break
        else:
            fields.append((pk_name, fields[-1][1] if fields else False))
        return cls(model, tuple(fields))

    def order_by(self, *, backward: bool = False) -> list[str]:
        return [("-" if desc != backward else "") + name for name, desc in self.fields]

    def cursor(self, obj, *, backward: bool = False) -> str:
        """The cursor continuing after ``obj`` (or, ``backward``, before it)."""
        values = [_json_value(getattr(obj, name)) for name, _desc in self.fields]
        payload = json.dumps([_BACKWARD if backward else _FORWARD, *values], ensure_ascii=False)
        return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")

    def decode(self, token: str) -> Seek | None:
        """The cursor's position, or None when it is malformed or made for another ordering."""
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            payload = json.loads(raw.decode())
        except (ValueError, binascii.Error, UnicodeDecodeError):
            return None
        if not isinstance(payload, list) or len(payload) != len(self.fields) + 1:
            return None
        direction, *raw_values = payload
        if direction not in (_FORWARD, _BACKWARD):
            return None
        values = []
        for (name, _desc), raw_value in zip(self.fields, raw_values, strict=True):
            if raw_value is None or isinstance(raw_value, list | dict):
                return None
            try:
                values.append(self.model._meta.get_field(name).to_python(raw_value))
            except (ValidationError, TypeError, ValueError):
                return None
        return Seek(tuple(values), direction == _BACKWARD)

    def seek(self, queryset, position: Seek):
        """``queryset`` from just after (or before) ``position``, in the order rows are read
        (reversed when going backward: the caller flips the page back)."""
        names = [name for name, _desc in self.fields]
        fields = [self.model._meta.get_field(name) for name in names]
        directions = {desc for _name, desc in self.fields}
        if len(directions) == 1:
            descending = directions.pop() != position.backward
            condition = RowCompare(names, position.values, fields, "<" if descending else ">")
        else:
            condition = self._expanded(position)
        return queryset.filter(condition).order_by(*self.order_by(backward=position.backward))

    def _expanded(self, position: Seek) -> Q:
        """Mixed directions cannot be one row comparison: a > x OR (a = x AND (b < y OR ...)),
        led by a range on the first column so an index still bounds the scan."""
        terms = list(zip(self.fields, position.values, strict=True))
        condition = None
        for (name, desc), value in reversed(terms):
            operator = "lt" if desc != position.backward else "gt"
            strict = Q(**{f"{name}__{operator}": value})
            condition = strict if condition is None else strict | (Q(**{name: value}) & condition)
        (first, first_desc), first_value = terms[0]
        bound = "lte" if first_desc != position.backward else "gte"
        return Q(**{f"{first}__{bound}": first_value}) & condition


def with_default_ties(ordering: Sequence, default: Sequence[str]) -> list:
    """``ordering`` with the entity's default ordering breaking its ties when both start with
    the same field: sorting contacts by last name then orders by first name and id, so the
    (last_name, first_name, id) index serves the sort and its keyset."""
    ordering = list(ordering)
    if not ordering or not default or not isinstance(ordering[0], str):
        return ordering
    first = ordering[0]
    if first.lstrip("-") != default[0].lstrip("-"):
        return ordering
    if first.startswith("-") == default[0].startswith("-"):
        return list(default)
    return [term[1:] if term.startswith("-") else "-" + term for term in default]


def _json_value(value):
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    return value

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
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import connections, models
from django.db.models import ExpressionWrapper, F, OrderBy, Q, Value
from django.db.models.lookups import (
    Exact,
    GreaterThan,
    GreaterThanOrEqual,
    IsNull,
    LessThan,
    LessThanOrEqual,
)
from django.db.models.sql.datastructures import BaseTable

from kesher.platform import jsonlimits

__all__ = [
    "CURSOR_PARAM",
    "TYPED_ROWS",
    "Keyset",
    "Seek",
    "Term",
    "last_typed_page",
    "with_default_ties",
]

CURSOR_PARAM = "cursor"
# How deep a typed page number reaches (decision 0056): the rows before it are skipped from the
# sort's index alone (``Keyset.boundary``), 4–18 ms for 100,000 of 1,000,000 contacts on either
# database and growing with the depth; later pages are reached by the "next" links' cursors.
TYPED_ROWS = 100_000
_FORWARD, _BACKWARD = "n", "p"
# The same directions, for a list the first page found to match more rows than a count shows:
# later pages need not count again (tables.py, api/pagination.py).
_FORWARD_MANY, _BACKWARD_MANY = "N", "P"
_DIRECTIONS = {
    _FORWARD: (False, False),
    _BACKWARD: (True, False),
    _FORWARD_MANY: (False, True),
    _BACKWARD_MANY: (True, True),
}
_LETTERS = {way: letter for letter, way in _DIRECTIONS.items()}


class RowCompare(models.Func):
    """``(a, b, c) > (x, y, z)``: a row-value comparison, which SQLite (3.15+) and PostgreSQL
    answer with one index range scan (SQLite's documentation recommends it for exactly this:
    "scrolling window queries")."""

    output_field = models.BooleanField()
    conditional = True

    def __init__(self, expressions: Sequence, values: Sequence, operator: str):
        self.width = len(expressions)
        self.operator = operator
        typed = [
            Value(v, output_field=e.output_field) for v, e in zip(values, expressions, strict=True)
        ]
        super().__init__(*expressions, *typed)

    def as_sql(self, compiler, connection, **extra_context):  # type: ignore[override]  # no template
        parts, params = [], []
        for expression in self.get_source_expressions():
            sql, expression_params = compiler.compile(expression)
            parts.append(sql)
            params.extend(expression_params)
        left, right = ", ".join(parts[: self.width]), ", ".join(parts[self.width :])
        return f"({left}) {self.operator} ({right})", params


class HasValue(models.Func):
    """``expression IS NOT NULL``, which on SQLite is written as a range an index can bound.

    SQLite keeps NULLs first in an index and does not bound a scan by ``IS NOT NULL``: reading
    a custom date's index in order walks every empty entry before the first value. Every
    non-NULL value sorts at or above minus infinity (numbers, then text, then blobs), so
    ``expression >= -inf`` selects the same rows as one index range."""

    output_field = models.BooleanField()
    conditional = True

    def as_sql(self, compiler, connection, **extra_context):  # type: ignore[override]  # no template
        sql, params = compiler.compile(self.source_expressions[0])
        return f"{sql} IS NOT NULL", params

    def as_sqlite(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"{sql} >= %s", (*params, float("-inf"))


class _IndexedTable(BaseTable):
    """The query's main table with SQLite's ``INDEXED BY``: see ``Keyset.page``."""

    def __init__(self, table_name, alias, index: str):
        super().__init__(table_name, alias)
        self.index = index

    def as_sql(self, compiler, connection):
        sql, params = super().as_sql(compiler, connection)
        return f"{sql} INDEXED BY {connection.ops.quote_name(self.index)}", params

    def relabeled_clone(self, change_map):
        alias = change_map.get(self.table_alias, self.table_alias)
        return self.__class__(self.table_name, alias, self.index)

    @property
    def identity(self):
        return (*super().identity, self.index)


def _walking(queryset, index: str | None):
    """``queryset`` read through ``index`` on SQLite; unchanged elsewhere or without one."""
    if index is None or connections[queryset.db].vendor != "sqlite":
        return queryset
    queryset = queryset.all()
    query = queryset.query
    alias = query.get_initial_alias()
    table = query.alias_map[alias]
    query.alias_map[alias] = _IndexedTable(table.table_name, table.table_alias, index)
    return queryset


@dataclass(frozen=True)
class Seek:
    """A decoded cursor: the sort values of the row to continue from, and which way."""

    values: tuple
    backward: bool
    # The list matched more rows than its count shows when its first page was read.
    many: bool = False


@dataclass(frozen=True)
class Term:
    """One sort term: a column of the model, or a custom field's value (``custom.<key>``)."""

    name: str
    descending: bool
    custom_kind: str | None = None  # the filter language's kind, for custom fields

    def expression(self, model):
        if self.custom_kind is None:
            return ExpressionWrapper(F(self.name), output_field=model._meta.get_field(self.name))
        from kesher.platform.lists.filterlang import CustomValue

        return CustomValue(self.name.removeprefix("custom."), self.custom_kind)

    def value_of(self, obj):
        if self.custom_kind is None:
            return getattr(obj, self.name)
        return (obj.custom or {}).get(self.name.removeprefix("custom."))

    def parse(self, model, raw):
        """A cursor's JSON value back to what the column holds; ValueError when it cannot be."""
        if self.custom_kind is None:
            try:
                return model._meta.get_field(self.name).to_python(raw)
            except ValidationError as exc:
                raise ValueError(raw) from exc
        expected = {"number": (int, float), "boolean": (bool,), "ref": (int,)}
        if not isinstance(raw, expected.get(self.custom_kind, (str,))):
            raise ValueError(raw)
        return raw


@dataclass(frozen=True)
class Keyset:
    """An ordering that can be seeked: plain, non-null columns of the model ending in its key,
    optionally led by one term whose NULLs sort last (a nullable column or a custom field).

    Rows with a NULL lead are read as a second region after the others, by the remaining
    terms: ``WHERE lead IS NOT NULL AND (lead, id) > (x, 7) ORDER BY lead, id`` then, when the
    page is not full, ``WHERE lead IS NULL ORDER BY id``. Both are index range scans; a single
    ``ORDER BY lead NULLS LAST`` is not (SQLite indexes keep NULLs first)."""

    model: type[models.Model]
    terms: tuple[Term, ...]
    nullable_lead: bool = False

    @classmethod
    def for_ordering(cls, model, ordering: Sequence) -> Keyset | None:
        """The keyset of ``ordering`` with the primary key appended as the last tie-breaker,
        or None when a term cannot be seeked (another expression, a relation, a nullable
        column not marked NULLS LAST as the first term); such lists page by offset."""
        pk_name = model._meta.pk.name
        terms: list[Term] = []
        nullable_lead = False
        for position, term in enumerate(ordering):
            lead = _nullable_lead(model, term) if position == 0 else None
            if lead is not None:
                terms.append(lead)
                nullable_lead = True
                continue
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
            terms.append(Term(name, descending))
            if field.primary_key or field.unique:
                break
        else:
            terms.append(Term(pk_name, terms[-1].descending if terms else False))
        return cls(model, tuple(terms), nullable_lead)

    def order_by(self, *, backward: bool = False) -> list:
        """The list's order (reversed for reading backward), NULL leads last."""
        order = []
        for index, term in enumerate(self.terms):
            descending = term.descending != backward
            if index == 0 and self.nullable_lead:
                expression = term.expression(self.model)
                # NULLs are last in the list's order, so first when reading it backward.
                nulls = {"nulls_first": True} if backward else {"nulls_last": True}
                order.append(expression.desc(**nulls) if descending else expression.asc(**nulls))
            elif term.custom_kind is None:
                order.append(("-" if descending else "") + term.name)
        return order

    def cursor(self, obj, *, backward: bool = False, many: bool = False) -> str:
        """The cursor continuing after ``obj`` (or, ``backward``, before it); ``many`` carries
        on that the list matches more rows than a count shows."""
        values = [_json_value(term.value_of(obj)) for term in self.terms]
        payload = json.dumps([_LETTERS[(backward, many)], *values], ensure_ascii=False)
        return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")

    def decode(self, token: str) -> Seek | None:
        """The cursor's position, or None when it is malformed or made for another ordering."""
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            payload = jsonlimits.loads(raw.decode())
        except (ValueError, binascii.Error, UnicodeDecodeError):
            return None
        if not isinstance(payload, list) or len(payload) != len(self.terms) + 1:
            return None
        direction, *raw_values = payload
        if direction not in _DIRECTIONS:
            return None
        values: list[Any] = []
        for index, (term, raw_value) in enumerate(zip(self.terms, raw_values, strict=True)):
            if raw_value is None and index == 0 and self.nullable_lead:
                values.append(None)
                continue
            if raw_value is None or isinstance(raw_value, list | dict):
                return None
            try:
                values.append(term.parse(self.model, raw_value))
            except (TypeError, ValueError):
                return None
        backward, many = _DIRECTIONS[direction]
        return Seek(tuple(values), backward, many)

    def page(
        self, queryset, position: Seek | None, size: int, *, walk_index: str | None = None
    ) -> tuple[list, bool]:
        """Up to ``size`` rows after (or, backward, before) ``position`` — from the start when
        it is None — in the list's order, and whether more rows lie beyond them.

        ``walk_index`` names the index of the lead term, for a caller that knows many rows
        match (decision 0024): SQLite's planner then prefers a filter's index and sorts every
        match, where walking the sort's own index stops after a page. PostgreSQL weighs the
        LIMIT itself and is left to choose."""
        rows: list = []
        for part in self._parts(queryset, position):
            part = _walking(part, walk_index)
            rows += list(part[: size + 1 - len(rows)])
            if len(rows) > size:
                break
        more = len(rows) > size
        rows = rows[:size]
        if position is not None and position.backward:
            # Read backward from the first row of the page after this one.
            rows.reverse()
        return rows, more

    def boundary(self, queryset, offset: int, *, walk_index: str | None = None) -> Seek | None:
        """The position a typed page number starts from: just after the list's row number
        ``offset`` (1-based), or None when the list is shorter (decision 0056).

        Only the sort values are read, which the sort's index holds: skipping 100,000 rows is
        then an index-only scan of the index (SQLite: a covering index; PostgreSQL: an Index
        Only Scan) instead of reading and throwing away 100,000 whole rows, and the page itself
        is sought from that position like a cursor's. A NULL lead's two regions are skipped in
        turn, the second by what the first holds."""
        skip = offset - 1
        regions = [self.terms] if not self.nullable_lead else [self.terms, self.terms[1:]]
        parts = self._parts(queryset.prefetch_related(None), None)
        for number, (part, terms) in enumerate(zip(parts, regions, strict=True)):
            names, expressions = [], {}
            for index, term in enumerate(terms):
                if term.custom_kind is None:
                    names.append(term.name)
                else:
                    names.append(f"_seek_{index}")
                    expressions[f"_seek_{index}"] = term.expression(self.model)
            keys = part.annotate(**expressions) if expressions else part
            keys = _walking(keys, walk_index if number == 0 else None)
            found = list(keys.values_list(*names)[skip : skip + 1])
            if found:
                values = found[0] if number == 0 else (None, *found[0])
                return Seek(tuple(values), backward=False)
            if number + 1 < len(regions):
                # Fewer than ``offset`` rows have a lead value: go on among those without.
                skip -= part.order_by()[: skip + 1].count()
        return None

    def _parts(self, queryset, position: Seek | None):
        """The querysets to read in turn: one, or the non-NULL and NULL regions of a lead."""
        backward = position is not None and position.backward
        if not self.nullable_lead:
            if position is None:
                yield queryset.order_by(*self.order_by())
            else:
                yield self._seek(queryset, self.terms, position.values, backward)
            return
        lead, rest = self.terms[0], self.terms[1:]
        expression = lead.expression(self.model)
        valued = queryset.filter(HasValue(expression))
        empty = queryset.filter(IsNull(expression, True))
        if position is None:
            yield self._ordered(valued, self.terms, backward=False)
            yield self._ordered(empty, rest, backward=False)
        elif position.values[0] is None:
            yield self._seek(empty, rest, position.values[1:], backward)
            if backward:
                yield self._ordered(valued, self.terms, backward=True)
        else:
            # The seek's own range skips NULLs; a second lower bound would make SQLite start
            # its index range at the first value instead of at the cursor.
            yield self._seek(queryset, self.terms, position.values, backward)
            if not backward:
                yield self._ordered(empty, rest, backward=False)

    def _ordered(self, queryset, terms, *, backward: bool):
        order = []
        for term in terms:
            descending = term.descending != backward
            if term.custom_kind is None:
                order.append(("-" if descending else "") + term.name)
            else:
                expression = term.expression(self.model)
                order.append(expression.desc() if descending else expression.asc())
        return queryset.order_by(*order)

    def _seek(self, queryset, terms, values, backward: bool):
        """``queryset`` from just after (or before) ``values``, in the order rows are read
        (reversed when going backward: the caller flips the page back)."""
        expressions = [term.expression(self.model) for term in terms]
        directions = {term.descending for term in terms}
        if len(directions) == 1:
            descending = directions.pop() != backward
            condition: Q | RowCompare = RowCompare(expressions, values, "<" if descending else ">")
            if terms[0].custom_kind is not None:
                # SQLite bounds an expression index's scan by a plain range, not by a row value.
                bound = LessThanOrEqual if descending else GreaterThanOrEqual
                condition = Q(bound(expressions[0], values[0])) & Q(condition)
        else:
            condition = _expanded(terms, expressions, values, backward)
        return self._ordered(queryset.filter(condition), terms, backward=backward)


def _nullable_lead(model, term) -> Term | None:
    """A NULLS LAST ordering on a nullable column or a custom field, as a keyset term."""
    from kesher.platform.lists.filterlang import CustomValue

    if not isinstance(term, OrderBy) or not term.nulls_last:
        return None
    inner = term.expression
    if isinstance(inner, CustomValue) and inner.kind != "multi":
        return Term(f"custom.{inner.key}", term.descending, inner.kind)
    if isinstance(inner, F):
        name: str = inner.name  # type: ignore[attr-defined]  # F() sets it; django-stubs lacks it
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            return None
        if getattr(field, "concrete", False) and not field.is_relation:
            return Term(name, term.descending)
    return None


def _expanded(terms, expressions, values, backward: bool) -> Q:
    """Mixed directions cannot be one row comparison: a > x OR (a = x AND (b < y OR ...)),
    led by a range on the first term so an index still bounds the scan."""
    condition: Q | None = None
    for term, expression, value in reversed(list(zip(terms, expressions, values, strict=True))):
        beyond = LessThan if term.descending != backward else GreaterThan
        strict = Q(beyond(expression, value))
        if condition is not None:
            strict |= Q(Exact(expression, value)) & condition
        condition = strict
    bound = LessThanOrEqual if terms[0].descending != backward else GreaterThanOrEqual
    assert condition is not None  # there is always a term
    return Q(bound(expressions[0], values[0])) & condition


def last_typed_page(size: int) -> int:
    """The last page number that may be typed (or sent as ``page=``) at ``size`` rows a page."""
    return max(1, TYPED_ROWS // size)


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

"""``field__prefix``: a starts-with match that both databases answer from an index.

Django's ``startswith`` is ``LIKE 'x%'``. PostgreSQL turns that into an index range (with the
``varchar_pattern_ops`` indexes Django makes for indexed text fields); SQLite does not, because
its ``LIKE`` ignores ASCII case and our indexes are case-sensitive, so it scans instead — seconds
over a million rows. ``prefix`` is case-sensitive; on SQLite it is the range
``x <= value < x + U+10FFFF`` (SQLite compares text byte-wise, in code-point order), which an
ordinary index answers (DESIGN.md "Lists at scale", "Search").
"""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Lower

__all__ = ["TOP", "Prefix", "emails_in", "expand_prefix", "leads_an_index", "prefix_match"]

# Above every character: ``x <= value < x + TOP`` is "value starts with x" in code-point order.
TOP = "\U0010ffff"
# A prefix matching more stored values than this is left as a range (see ``expand_prefix``).
MAX_EXPANDED_VALUES = 20


@models.CharField.register_lookup
@models.TextField.register_lookup
class Prefix(models.Lookup):
    lookup_name = "prefix"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        sql, params = prefix_match(lhs, str(self.rhs), connection)
        return sql, [*lhs_params, *params]


def prefix_match(column: str, value: str, connection) -> tuple[str, list]:
    """SQL for ``column`` starting with ``value`` as ``connection``'s database reads it from an
    index (the module's docstring), and its parameters."""
    if connection.vendor == "sqlite":
        return f"({column} >= %s AND {column} < %s)", [value, value + TOP]
    return f"{column} LIKE %s", [connection.ops.prep_for_like_query(value) + "%"]


def leads_an_index(model, name: str) -> bool:
    """Whether an index of ``model`` starts with field ``name`` — its own (``db_index``,
    ``unique``) or one the model declares — so a lookup on it alone reads an index."""
    field = model._meta.get_field(name)
    if field.db_index or field.unique:
        return True
    return any(
        index.fields and index.fields[0].lstrip("-") == name for index in model._meta.indexes
    )


def expand_prefix(queryset, name: str, value: str):
    """``queryset`` filtered on ``name`` starting with ``value``, as an equality when it can.

    SQLite keeps no value histogram, so for ``city`` starting with "ירושלים" ordered by last
    name it reads every Jerusalem row and sorts them all. When the prefix matches a few stored
    values, we read them first (SQLite walks its index from one distinct value to the next, a
    fraction of a millisecond) and filter with ``city IN (...)``: one value is an equality,
    which a (city, last_name, ...) index answers already in order.

    PostgreSQL chose well from the plain prefix for a first page, but a typed deep page skips
    its rows from an index alone (decision 0056), and only an equality lets the (city,
    last_name, ...) index do that; there the values are read by a loose index scan
    (``_values_on_postgresql``).
    """
    from django.db import connections

    model = queryset.model
    condition = {f"{name}__prefix": value}
    vendor = connections[queryset.db].vendor
    if not (
        (vendor == "sqlite" and leads_an_index(model, name))
        or (vendor == "postgresql" and _has_pattern_index(model, name))
    ):
        return queryset.filter(**condition)
    field = model._meta.get_field(name)
    # The stored values only shape the filter; the rows still come from ``queryset``, which
    # the caller has scoped with ``visible_to``.
    if vendor == "postgresql":
        values = _values_on_postgresql(model, field, value, queryset.db)
    else:
        values = list(
            model._base_manager.using(queryset.db)
            .filter(**condition)
            .order_by(name)
            .values_list(name, flat=True)
            .distinct()[: MAX_EXPANDED_VALUES + 1]
        )
    if len(values) > MAX_EXPANDED_VALUES:
        return queryset.filter(**condition)
    if len(values) == 1:
        return queryset.filter(**{name: values[0]})
    return queryset.filter(**{f"{name}__in": values}) if values else queryset.none()


def emails_in(queryset: models.QuerySet, name: str, emails) -> models.QuerySet:
    """``queryset`` narrowed to records whose e-mail field ``name`` is one of ``emails`` (lower
    case), whatever its case: a ``LowercaseEmailField`` stores lower case, so its plain index
    answers; any other e-mail field is compared lower-cased (and read whole)."""
    from kesher.platform.fields import LowercaseEmailField

    if isinstance(queryset.model._meta.get_field(name), LowercaseEmailField):
        return queryset.filter(**{f"{name}__in": emails})
    lowered = f"{name}_lower"
    return queryset.annotate(**{lowered: Lower(name)}).filter(**{f"{lowered}__in": emails})


def _values_on_postgresql(model, field, value: str, db: str) -> list[str]:
    """Up to ``MAX_EXPANDED_VALUES + 1`` stored values of ``field`` starting with ``value``.

    PostgreSQL has no skip scan: ``DISTINCT`` reads every index entry of the prefix (116,000 for
    "ירושלים" in the benchmark). A recursive query steps from each value to the next with one
    probe of the ``varchar_pattern_ops`` index Django makes for an indexed text field — whose
    byte order ``~>~`` and ``USING ~<~`` name, whatever the database's collation — a fraction of
    a millisecond for the whole list."""
    from django.db import connections

    connection = connections[db]
    quote = connection.ops.quote_name
    table, column = quote(model._meta.db_table), quote(field.column)
    match, params = prefix_match(column, value, connection)
    # Quoted names and a parameterized match: no value is written into the SQL.
    first = f"SELECT {column} FROM {table} WHERE {match} ORDER BY {column} USING ~<~ LIMIT 1"  # noqa: S608
    following = (
        f"SELECT {column} FROM {table} WHERE {match} AND {column} ~>~ found.value "  # noqa: S608
        f"ORDER BY {column} USING ~<~ LIMIT 1"
    )
    sql = (
        f"WITH RECURSIVE found(value) AS (({first}) UNION ALL "  # noqa: S608
        f"SELECT ({following}) FROM found WHERE found.value IS NOT NULL) "
        f"SELECT value FROM found WHERE value IS NOT NULL LIMIT {MAX_EXPANDED_VALUES + 1}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *params])
        return [row[0] for row in cursor.fetchall()]


def _has_pattern_index(model, name: str) -> bool:
    """Whether PostgreSQL holds an index of field ``name`` in byte order (``varchar_pattern_ops``)
    for ``_values_on_postgresql`` to step through: the one Django adds beside an indexed or
    unique text field's own, or one the model declares. Without it each step would read the
    whole table."""
    field = model._meta.get_field(name)
    if isinstance(field, models.CharField | models.TextField) and (
        getattr(field, "db_index", False) or field.unique
    ):
        return True
    return any(
        index.fields
        and index.fields[0] == name
        and index.opclasses
        and index.opclasses[0] in ("varchar_pattern_ops", "text_pattern_ops")
        for index in model._meta.indexes
    )

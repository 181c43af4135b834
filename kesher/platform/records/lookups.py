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
    which a (city, last_name, ...) index answers already in order. PostgreSQL's planner has
    the statistics to choose well from the plain prefix.
    """
    from django.db import connections

    model = queryset.model
    condition = {f"{name}__prefix": value}
    if connections[queryset.db].vendor != "sqlite" or not leads_an_index(model, name):
        return queryset.filter(**condition)
    # The stored values only shape the filter; the rows still come from ``queryset``, which
    # the caller has scoped with ``visible_to``.
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

"""Writing rows at the speed of the database.

Django's ``bulk_create`` prepares and compiles every value of every row into one large
statement (and on SQLite splits it at the bound-value limit): a third of a 100,000-row import.
Here each field still prepares its own value (``get_db_prep_save``, as Django does), but the
rows go out as PostgreSQL ``COPY`` with ids drawn from the table's sequence beforehand, or as
one SQLite ``executemany`` whose ids are consecutive inside the write transaction.

The rows that follow every single write (its audit entry, its search tokens) need no ids back:
``run_together`` sends them to PostgreSQL as one statement, a round trip instead of two or three.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, models

__all__ = [
    "Statement",
    "delete_statement",
    "insert_new",
    "insert_rows",
    "insert_statement",
    "reserve_id",
    "run_together",
    "update_statement",
]


@dataclass(frozen=True)
class Statement:
    """One INSERT or DELETE (no RETURNING), ready to run alone or beside others."""

    sql: str
    params: tuple


def insert_statement(model, values: list[dict]) -> Statement | None:
    """An INSERT of ``values`` (one dict of field name → value per row, the same names in
    each) into ``model``'s table, each value prepared by its field; None when there are none."""
    if not values:
        return None
    meta = model._meta
    fields = [meta.get_field(name) for name in values[0]]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    marks = "(" + ", ".join(["%s"] * len(fields)) + ")"
    params = tuple(
        field.get_db_prep_save(row[field.name], connection) for row in values for field in fields
    )
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES " + ", ".join(  # noqa: S608
        [marks] * len(values)
    )
    return Statement(sql, params)


def update_statement(instance, names: tuple[str, ...]) -> Statement:
    """An UPDATE of ``instance``'s row setting the fields ``names`` to its values, each
    prepared by its field: the save of a row the caller holds locked, without ``save()``'s
    work on every other column."""
    meta = instance._meta
    quote = connection.ops.quote_name
    fields = [meta.get_field(name) for name in names]
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    params = tuple(f.get_db_prep_save(getattr(instance, f.attname), connection) for f in fields)
    return Statement(
        f"UPDATE {quote(meta.db_table)} SET {assignments} "  # noqa: S608
        f"WHERE {quote(meta.pk.column)} = %s",
        (*params, instance.pk),
    )


def delete_statement(model, **equal) -> Statement:
    """A DELETE of ``model``'s rows whose columns equal ``equal`` (field name → value)."""
    meta = model._meta
    quote = connection.ops.quote_name
    fields = [meta.get_field(name) for name in equal]
    where = " AND ".join(f"{quote(f.column)} = %s" for f in fields)
    params = tuple(f.get_db_prep_value(equal[f.name], connection) for f in fields)
    return Statement(f"DELETE FROM {quote(meta.db_table)} WHERE {where}", params)  # noqa: S608


def run_together(*statements: Statement | None) -> None:
    """Run ``statements`` (None ones skipped) in one round trip on PostgreSQL — all but the
    last as data-modifying WITH clauses, each run exactly once against the same snapshot, so a
    DELETE never sees rows an INSERT beside it adds — and one after the other on SQLite, where
    a statement costs no round trip."""
    present = [s for s in statements if s is not None]
    if not present:
        return
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql" or len(present) == 1:
            for statement in present:
                cursor.execute(statement.sql, statement.params)
            return
        *first, last = present
        clauses = ", ".join(f"w{n} AS ({s.sql})" for n, s in enumerate(first))
        params = tuple(p for s in present for p in s.params)
        cursor.execute(f"WITH {clauses} {last.sql}", params)


def insert_rows(model, columns: list[str], rows: list[tuple]) -> list[int]:
    """Insert ``rows`` (values ready for the database, in the order of ``columns``) into
    ``model``'s table; return their ids in order. Call inside ``transaction.atomic``: on SQLite
    the ids are those of one uninterrupted write."""
    if not rows:
        return []
    if not connection.in_atomic_block:
        raise RuntimeError("insert_rows needs a transaction")
    meta = model._meta
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, meta.pk.column, len(rows)],
            )
            ids = [row[0] for row in cursor.fetchall()]
            names = ", ".join(quote(c) for c in [meta.pk.column, *columns])
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for pk, row in zip(ids, rows, strict=True):
                    copy.write_row((pk, *row))
            return ids
        names = ", ".join(quote(c) for c in columns)
        marks = ", ".join(["%s"] * len(columns))
        cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)  # noqa: S608
        cursor.execute("SELECT last_insert_rowid()")
        last = cursor.fetchone()[0]
    return list(range(last - len(rows) + 1, last + 1))


def reserve_id(model) -> int:
    """The id the next row of ``model`` takes, drawn before its INSERT so that values made from
    it (a ticket's number) go into the same row: from the table's sequence on PostgreSQL; on
    SQLite one past the highest id ever given (``AUTOINCREMENT``), which no other writer can
    take while this transaction holds the database's write lock (``IMMEDIATE``, settings).
    Call inside ``transaction.atomic``."""
    if not connection.in_atomic_block:
        raise RuntimeError("reserve_id needs a transaction")
    meta = model._meta
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s))", [meta.db_table, meta.pk.column]
            )
        else:
            table = connection.ops.quote_name(meta.db_table)
            column = connection.ops.quote_name(meta.pk.column)
            cursor.execute(
                "SELECT MAX(last) + 1 FROM (SELECT seq AS last FROM sqlite_sequence "  # noqa: S608
                f"WHERE name = %s UNION ALL SELECT MAX({column}) FROM {table} UNION ALL SELECT 0)",
                [meta.db_table],
            )
        return cursor.fetchone()[0]


def insert_new(model, instances: list) -> None:
    """Insert unsaved ``instances`` of ``model`` and give each its id (see ``insert_rows``)."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    preparers = [_preparer(f) for f in fields]
    rows = [tuple(prepare(obj) for prepare in preparers) for obj in instances]
    ids = insert_rows(model, [f.column for f in fields], rows)
    for obj, pk in zip(instances, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias


# Field classes whose database value of an ``int`` (``bool``) is that value itself.
_INTEGERS = models.IntegerField | models.BigIntegerField | models.ForeignKey


def _preparer(field):
    """``obj`` → ``field``'s value ready for the database, as ``pre_save`` and
    ``get_db_prep_save`` make it, without their work where it changes nothing: an import
    prepares twenty fields of 100,000 records (issue 26)."""
    attname = field.attname
    generic_pre_save = type(field).pre_save is models.Field.pre_save

    def value_of(obj):
        return getattr(obj, attname) if generic_pre_save else field.pre_save(obj, True)

    if _stores_text_as_given(field):

        def prepare_text(obj):
            value = value_of(obj)
            return value if type(value) is str else field.get_db_prep_save(value, connection)

        return prepare_text
    if isinstance(field, models.BooleanField | _INTEGERS):
        kind = bool if isinstance(field, models.BooleanField) else int

        def prepare_number(obj):
            value = value_of(obj)
            return value if type(value) is kind else field.get_db_prep_save(value, connection)

        return prepare_number
    # Dates and JSON values cost most to convert, and the rows of one write often share one
    # (their creation time, an empty ``custom``, a birthday): each distinct value is prepared
    # once. Other fields normalize on the way (a phone, an ID number): an empty one once.
    if isinstance(field, models.DateField | models.JSONField):
        prepared: dict = {}

        def prepare_repeated(obj):
            value = value_of(obj)
            key = value if not isinstance(value, dict | list) else repr(value)
            if key not in prepared:
                if len(prepared) > 50_000:
                    prepared.clear()
                prepared[key] = field.get_db_prep_save(value, connection)
            return prepared[key]

        return prepare_repeated
    empty = field.get_db_prep_save("", connection) if field.empty_strings_allowed else None

    def prepare_other(obj):
        value = value_of(obj)
        if value == "" and field.empty_strings_allowed:
            return empty
        return field.get_db_prep_save(value, connection)

    return prepare_other


def _stores_text_as_given(field) -> bool:
    """A text field that prepares a ``str`` as itself (not one that normalizes on the way,
    such as a phone field: its value is prepared by the field)."""
    kind = type(field)
    return (
        isinstance(field, models.CharField | models.TextField)
        and kind.to_python in (models.CharField.to_python, models.TextField.to_python)
        and kind.get_prep_value
        in (models.CharField.get_prep_value, models.TextField.get_prep_value)
        and kind.get_db_prep_value is models.Field.get_db_prep_value
        and kind.get_db_prep_save is models.Field.get_db_prep_save
    )

"""Inserting many new rows at the speed of the database, their ids read back.

Django's ``bulk_create`` prepares and compiles every value of every row into one large
statement (and on SQLite splits it at the bound-value limit): a third of a 100,000-row import.
Here each field still prepares its own value (``get_db_prep_save``, as Django does), but the
rows go out as PostgreSQL ``COPY`` with ids drawn from the table's sequence beforehand, or as
one SQLite ``executemany`` whose ids are consecutive inside the write transaction.
"""

from __future__ import annotations

from django.db import connection, models

__all__ = ["insert_new", "insert_rows"]


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


def insert_new(model, instances: list) -> None:
    """Insert unsaved ``instances`` of ``model`` and give each its id (see ``insert_rows``)."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    plain = {f.attname for f in fields if _stores_text_as_given(f)}
    # Converting a date-time for the database is the dearest preparation, and rows written
    # together often share one (their creation time): each distinct value is prepared once.
    prepared: dict = {}

    def prepare(field, obj):
        value = field.pre_save(obj, True)
        if field.attname in plain and type(value) is str:
            return value
        if not isinstance(field, models.DateTimeField):
            return field.get_db_prep_save(value, connection)
        key = (field.attname, value)
        if key not in prepared:
            prepared[key] = field.get_db_prep_save(value, connection)
        return prepared[key]

    rows = [tuple(prepare(f, obj) for f in fields) for obj in instances]
    ids = insert_rows(model, [f.column for f in fields], rows)
    for obj, pk in zip(instances, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias


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

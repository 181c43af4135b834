"""Inserting many new records at the speed of the database, their ids set as ``save`` sets them.

Django's ``bulk_create`` prepares and compiles every value of every row into one large
statement (and on SQLite splits it at the bound-value limit): a third of a 100,000-row import.
Here each field still prepares its own value (``get_db_prep_save``, as Django does), but the
rows go out as PostgreSQL ``COPY`` with ids drawn from the table's sequence beforehand, or as
one SQLite ``executemany`` whose ids are consecutive inside the write transaction.
"""

from __future__ import annotations

from django.db import connection

__all__ = ["insert_new"]


def insert_new(model, instances: list) -> None:
    """Insert unsaved ``instances`` of ``model`` and give each its id. Call inside
    ``transaction.atomic``: on SQLite the ids are those of one uninterrupted write."""
    if not instances:
        return
    if not connection.in_atomic_block:
        raise RuntimeError("insert_new needs a transaction")
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    rows = [
        tuple(f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields)
        for obj in instances
    ]
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, meta.pk.column, len(rows)],
            )
            ids = [row[0] for row in cursor.fetchall()]
            columns = ", ".join(quote(c) for c in [meta.pk.column, *(f.column for f in fields)])
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for pk, row in zip(ids, rows, strict=True):
                    copy.write_row((pk, *row))
        else:
            columns = ", ".join(quote(f.column) for f in fields)
            marks = ", ".join(["%s"] * len(fields))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)  # noqa: S608
            cursor.execute("SELECT last_insert_rowid()")
            last = cursor.fetchone()[0]
            ids = range(last - len(rows) + 1, last + 1)
    for obj, pk in zip(instances, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias

"""Claiming rows for one worker: the pattern every "do it once" queue of Kesher uses
(reminders, outgoing messages, automation runs).

One statement picks up to ``limit`` rows that are due and marks them as taken, returning their
ids. On PostgreSQL the candidates are locked ``FOR UPDATE SKIP LOCKED`` in a materialized CTE
(PostgreSQL may run an ``IN (SELECT … LIMIT …)`` subquery more than once and take more than
the limit); the outer condition is checked again on the row, so two workers never take the
same one. SQLite has one writer at a time, which is the same guarantee.
"""

from __future__ import annotations

from django.db import connection

__all__ = ["claim_ids"]


def claim_ids(
    table: str,
    *,
    due: str,
    due_params: list,
    order: str,
    limit: int,
    mark: str,
    mark_params: list,
) -> list[int]:
    """Set ``mark`` (an SQL SET list) on up to ``limit`` rows of ``table`` matching ``due``,
    read in ``order``; the ids taken, ascending. ``table``, ``due``, ``order`` and ``mark`` are
    Kesher's own SQL, never user input; values go in the params."""
    postgres = connection.vendor == "postgresql"
    sql = (
        f"WITH picked AS {'MATERIALIZED ' if postgres else ''}("  # noqa: S608  (our SQL)
        f"SELECT id FROM {table} WHERE {due} ORDER BY {order} LIMIT %s"
        f"{' FOR UPDATE SKIP LOCKED' if postgres else ''}) "
        f"UPDATE {table} SET {mark} WHERE id IN (SELECT id FROM picked) AND {due} RETURNING id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*due_params, limit, *mark_params, *due_params])
        return sorted(row[0] for row in cursor.fetchall())

"""What the live system can learn of the practice environment (REQ IMPL-2, IM-6): whether an
import finished there, and which users created which kinds of record there since it was copied.

The practice copy is another database that the live Django connection does not reach
(decision 0029); it is opened here read-only, with the database driver, for these two
questions. Table and content-type ids are the live ones: the copy was made from them."""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path

from django.db import connection

from kesher.practice.services import practice_state, practice_target

__all__ = ["PracticeFacts", "practice_facts"]

logger = logging.getLogger("kesher.rollout")

_IMPORT_DONE = "SELECT 1 FROM imports_importjob WHERE status = 'done' LIMIT 1"
_CREATED = (
    "SELECT DISTINCT actor_id, content_type_id FROM platform_auditentry "
    "WHERE action = 'create' AND actor_id IS NOT NULL AND at >= {p}"
)


@dataclass
class PracticeFacts:
    ready: bool = False
    import_done: bool = False
    # (user id, content type id) pairs: the user created such a record in practice.
    created: set = field(default_factory=set)


def _open(target: dict):
    """A read-only connection to the practice database and its parameter mark, or None."""
    if "sqlite3" in target["ENGINE"]:
        path = Path(target["NAME"])
        if not path.is_file():
            return None, ""
        return sqlite3.connect(f"file:{path}?mode=ro", uri=True), "?"
    import psycopg

    db = connection.settings_dict
    params = {"dbname": target["NAME"]}
    for key, name in (
        ("HOST", "host"),
        ("PORT", "port"),
        ("USER", "user"),
        ("PASSWORD", "password"),
    ):
        if db.get(key):
            params[name] = str(db[key])
    params["options"] = "-c default_transaction_read_only=on"
    return psycopg.connect(**params), "%s"


def practice_facts() -> PracticeFacts:
    """Read the practice database once; an absent, busy or unreadable copy tells nothing."""
    state = practice_state()
    facts = PracticeFacts(ready=state.status == state.Status.READY)
    if not facts.ready or state.copied_at is None:
        return facts
    try:
        conn, mark = _open(practice_target())
        if conn is None:
            return facts
        try:
            cursor = conn.cursor()
            cursor.execute(_IMPORT_DONE)
            facts.import_done = cursor.fetchone() is not None
            # SQLite holds datetimes as UTC text; PostgreSQL compares the aware value.
            utc = state.copied_at.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
            since = state.copied_at if mark == "%s" else utc
            cursor.execute(_CREATED.format(p=mark), [since])
            facts.created = {(row[0], row[1]) for row in cursor.fetchall()}
        finally:
            conn.close()
    except Exception:  # a copy being replaced or of another version: it tells nothing now
        logger.warning("could not read the practice database", exc_info=True)
    return facts

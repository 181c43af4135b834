"""Backups and restores of the whole database (issue 6, item 6).

SQLite: the online backup API (``sqlite3.Connection.backup``) copies a consistent snapshot while
the application keeps running; a restore copies the file back page by page into the live
database. PostgreSQL: ``pg_dump -Fc`` and ``pg_restore --clean --if-exists``. ``fingerprint``
(every table's row count and a checksum of its rows) verifies a round trip.

Scheduled backups run on the worker tick when ``KESHER_BACKUP_EVERY_HOURS`` is set (a setting
or an environment variable; off by default), keeping the newest ``KESHER_BACKUP_KEEP`` (14).
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import subprocess
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from kesher.platform.models import WorkerHeartbeat
from kesher.platform.tasks import on_tick

__all__ = [
    "BackupError",
    "backup_create",
    "backup_dir",
    "backup_restore",
    "fingerprint",
    "pg_client_env",
    "prune",
    "run_client",
]

logger = logging.getLogger("kesher.backup")
PREFIX = "kesher-"
SQLITE_SUFFIX = ".sqlite3"
PG_SUFFIX = ".dump"
SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"


class BackupError(Exception):
    """A backup or restore that could not be made; the message says why."""


def backup_dir() -> Path:
    return Path(settings.KESHER_BACKUP_DIR)


def _vendor() -> str:
    if connection.vendor not in ("sqlite", "postgresql"):
        raise BackupError(f"backups of {connection.vendor} databases are not supported")
    return connection.vendor


def _suffix() -> str:
    return SQLITE_SUFFIX if _vendor() == "sqlite" else PG_SUFFIX


def pg_client_env() -> tuple[list[str], dict]:
    db = connection.settings_dict
    args = []
    if db.get("HOST"):
        args += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return args, env


def run_client(command: list[str], env: dict) -> None:
    try:
        subprocess.run(command, env=env, check=True, capture_output=True, timeout=6 * 3600)  # noqa: S603
    except FileNotFoundError as exc:
        raise BackupError(f"{command[0]} is not installed") from exc
    except subprocess.CalledProcessError as exc:
        message = exc.stderr.decode(errors="replace").strip()[-2000:]
        raise BackupError(f"{command[0]} failed: {message}") from exc


def backup_create(path: str | Path | None = None, *, keep: int | None = None) -> Path:
    """Write a backup to ``path`` (a file, or a folder for a dated file; default
    ``backup_dir()``) and return the file; with ``keep``, prune older dated backups there."""
    target = Path(path) if path else backup_dir()
    if target.is_dir() or path is None or str(path).endswith(os.sep):
        target.mkdir(parents=True, exist_ok=True)
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S-%f")
        target = target / f"{PREFIX}{stamp}{_suffix()}"
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    connection.ensure_connection()
    if _vendor() == "sqlite":
        destination = sqlite3.connect(partial)
        try:
            connection.connection.backup(destination)
        finally:
            destination.close()
    else:
        args, env = pg_client_env()
        name = connection.settings_dict["NAME"]
        run_client(["pg_dump", "-Fc", "--no-owner", "-f", str(partial), *args, name], env)
    # A crash mid-way leaves a ".part" file, never a backup that looks complete.
    partial.replace(target)
    if keep:
        prune(target.parent, keep)
    return target


def prune(folder: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` dated backups in ``folder``; return those deleted."""
    dated = sorted(
        (p for p in Path(folder).glob(f"{PREFIX}*") if p.suffix in (SQLITE_SUFFIX, PG_SUFFIX)),
        key=lambda p: p.name,
        reverse=True,
    )
    removed = dated[max(keep, 1) :]
    for old in removed:
        old.unlink(missing_ok=True)
    return removed


def backup_restore(path: str | Path) -> None:
    """Replace the database's contents with the backup at ``path``."""
    source = Path(path)
    if not source.is_file():
        raise BackupError(f"no backup at {source}")
    with source.open("rb") as handle:
        head = handle.read(16)
    connection.ensure_connection()
    if _vendor() == "sqlite":
        if not head.startswith(SQLITE_MAGIC):
            raise BackupError(f"{source} is not a SQLite backup")
        origin = sqlite3.connect(source)
        try:
            origin.backup(connection.connection)
        finally:
            origin.close()
    else:
        if not head.startswith(PG_MAGIC):
            raise BackupError(f"{source} is not a pg_dump custom-format backup")
        args, env = pg_client_env()
        name = connection.settings_dict["NAME"]
        # The restore runs in another session: nothing of ours may hold a lock on a table.
        connection.close()
        run_client(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "-d",
                name,
                *args,
                str(source),
            ],
            env,
        )


def fingerprint(tables: list[str] | None = None) -> dict[str, tuple[int, str]]:
    """Every table's row count and a SHA-256 of its rows in primary-key order."""
    result = {}
    with connection.cursor() as cursor:
        names = tables or sorted(connection.introspection.table_names(cursor))
        for table in names:
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT * FROM {quoted} ORDER BY 1")  # noqa: S608 (table names)
            digest = hashlib.sha256()
            count = 0
            while rows := cursor.fetchmany(5000):
                for row in rows:
                    count += 1
                    digest.update(repr(tuple(_comparable(v) for v in row)).encode())
            result[table] = (count, digest.hexdigest())
    return result


def _comparable(value):
    if isinstance(value, memoryview):
        return bytes(value)
    return value


@on_tick
def scheduled_backup(now=None) -> Path | None:
    """A backup when the last one is older than the interval (one worker at a time)."""
    hours = settings.KESHER_BACKUP_EVERY_HOURS
    if hours <= 0:
        return None
    now = now or timezone.now()
    with transaction.atomic():
        # The row lock makes one worker of many take the backup.
        row, created = WorkerHeartbeat.objects.select_for_update().get_or_create(
            name="backup", defaults={"last_seen": now}
        )
        if not created and now - row.last_seen < timedelta(hours=hours):
            return None
        row.last_seen = now
        row.save(update_fields=["last_seen"])
    path = backup_create(keep=settings.KESHER_BACKUP_KEEP)
    logger.info("scheduled backup written to %s", path)
    return path

"""Backups and restores of the whole database and its files (issue 6 item 6, issue 24 item 7).

A backup is one tar file: the database (``database.sqlite3`` or ``database.dump``), every stored
file under ``MEDIA_ROOT`` (attachments, imports, documents' PDFs and templates) under ``files/``,
and ``manifest.json`` naming each file with its size and SHA-256. SQLite: the online backup API
(``sqlite3.Connection.backup``) copies a consistent snapshot while the application keeps
running; a restore copies the file back page by page into the live database. PostgreSQL:
``pg_dump -Fc`` and ``pg_restore --clean --if-exists``. A restore checks the whole bundle
against its manifest before it touches anything, then replaces the database and the files; files
the backup does not hold are moved aside, never deleted. A backup of the database alone (the
format before files were included) still restores. ``fingerprint`` (every table's row count and
a checksum of its rows) and ``files_fingerprint`` verify a round trip.

Scheduled backups run on the worker tick when ``KESHER_BACKUP_EVERY_HOURS`` is set (a setting
or an environment variable; off by default), keeping the newest ``KESHER_BACKUP_KEEP`` (14).
With ``KESHER_BACKUP_KEEP_DAYS``, a dated backup older than that is deleted, whatever their
number — at the next backup, and by the worker's tick (hourly) even when none is made. So the
data a person's erasure removed stays in the backups made before it until ``held_until``.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath

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
    "backups_age_out",
    "files_fingerprint",
    "fingerprint",
    "held_until",
    "pg_client_env",
    "prune",
    "run_client",
]

logger = logging.getLogger("kesher.backup")
PREFIX = "kesher-"
SQLITE_SUFFIX = ".sqlite3"
PG_SUFFIX = ".dump"
BUNDLE_SUFFIX = ".tar"
MANIFEST = "manifest.json"
FILES = "files"
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


def _media_root() -> Path:
    return Path(settings.MEDIA_ROOT)


def _stored_files() -> dict[str, Path]:
    """Every stored file under ``MEDIA_ROOT`` by its path relative to it (POSIX form)."""
    root = _media_root()
    if not root.is_dir():
        return {}
    return {
        path.relative_to(root).as_posix(): path
        for path in sorted(root.rglob("*"))
        if path.is_file() and not path.is_symlink()
    }


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def files_fingerprint() -> dict[str, str]:
    """Every stored file's SHA-256 by its path under ``MEDIA_ROOT``."""
    return {name: _sha256(path) for name, path in _stored_files().items()}


def _dump_database(target: Path) -> None:
    connection.ensure_connection()
    if _vendor() == "sqlite":
        destination = sqlite3.connect(target)
        try:
            connection.connection.backup(destination)
        finally:
            destination.close()
    else:
        args, env = pg_client_env()
        name = connection.settings_dict["NAME"]
        run_client(["pg_dump", "-Fc", "--no-owner", "-f", str(target), *args, name], env)


def backup_create(path: str | Path | None = None, *, keep: int | None = None) -> Path:
    """Write a backup of the database and the stored files to ``path`` (a file, or a folder for
    a dated file; default ``backup_dir()``) and return the file; with ``keep``, prune older
    dated backups there."""
    target = Path(path) if path else backup_dir()
    if target.is_dir() or path is None or str(path).endswith(os.sep):
        target.mkdir(parents=True, exist_ok=True)
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S-%f")
        target = target / f"{PREFIX}{stamp}{BUNDLE_SUFFIX}"
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    database = f"database{_suffix()}"
    with tempfile.TemporaryDirectory(dir=target.parent) as work:
        dumped = Path(work) / database
        _dump_database(dumped)
        listed: dict[str, dict] = {}
        with tarfile.open(partial, "w") as bundle:
            bundle.add(dumped, arcname=database)
            for name, stored in _stored_files().items():
                # Each file is read once: its checksum is taken from the bytes written.
                info = bundle.gettarinfo(stored, arcname=f"{FILES}/{name}")
                with stored.open("rb") as handle:
                    reader = _HashingReader(handle)
                    bundle.addfile(info, reader)
                listed[name] = {"size": info.size, "sha256": reader.digest.hexdigest()}
            manifest = {
                "format": 1,
                "database": database,
                "made_at": timezone.now().isoformat(),
                "files": listed,
            }
            encoded = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(encoded)
            bundle.addfile(info, io.BytesIO(encoded))
    # A crash mid-way leaves a ".part" file, never a backup that looks complete.
    partial.replace(target)
    if keep or settings.KESHER_BACKUP_KEEP_DAYS > 0:
        prune(target.parent, keep, days=settings.KESHER_BACKUP_KEEP_DAYS)
    return target


class _HashingReader:
    """A file object that hashes what is read through it."""

    def __init__(self, handle):
        self.handle = handle
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.digest.update(data)
        return data


def _made_at(path: Path) -> datetime:
    """When a dated backup was made: its name's stamp (UTC), else the file's time."""
    stamp = path.name.removeprefix(PREFIX).split(".")[0]
    try:
        return datetime.strptime(stamp, "%Y%m%d-%H%M%S-%f").replace(tzinfo=UTC)
    except ValueError:
        return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)


def prune(
    folder: Path, keep: int | None, *, days: int = 0, now: datetime | None = None
) -> list[Path]:
    """Delete all but the newest ``keep`` dated backups in ``folder`` (none kept by number:
    ``None``), and, with ``days``, every one made more than that many days before ``now``;
    return those deleted."""
    dated = sorted(
        (
            p
            for p in Path(folder).glob(f"{PREFIX}*")
            if p.suffix in (SQLITE_SUFFIX, PG_SUFFIX, BUNDLE_SUFFIX)
        ),
        key=lambda p: p.name,
        reverse=True,
    )
    removed = dated[max(keep, 1) :] if keep is not None else []
    if days > 0:
        oldest = (now or timezone.now()) - timedelta(days=days)
        removed += [p for p in dated if p not in removed and _made_at(p) < oldest]
    for old in removed:
        old.unlink(missing_ok=True)
    return removed


def held_until(at: datetime) -> datetime | None:
    """By when every backup made before ``at`` (a person's erasure) is deleted: ``at`` plus
    ``KESHER_BACKUP_KEEP_DAYS``, or, scheduled backups kept by number, plus that many
    intervals; None when nothing deletes them (backups made by hand, no age set)."""
    if settings.KESHER_BACKUP_KEEP_DAYS > 0:
        return at + timedelta(days=settings.KESHER_BACKUP_KEEP_DAYS)
    if settings.KESHER_BACKUP_EVERY_HOURS > 0 and settings.KESHER_BACKUP_KEEP > 0:
        hours = settings.KESHER_BACKUP_EVERY_HOURS * settings.KESHER_BACKUP_KEEP
        return at + timedelta(hours=hours)
    return None


def backup_restore(path: str | Path) -> None:
    """Replace the database's contents — and, from a backup with files, the stored files —
    with the backup at ``path``. Nothing is touched unless the whole backup checks out."""
    source = Path(path)
    if not source.is_file():
        raise BackupError(f"no backup at {source}")
    if not tarfile.is_tarfile(source):
        _restore_database(source)
        return
    with tempfile.TemporaryDirectory(dir=source.parent) as work:
        unpacked = Path(work)
        manifest = _unpack(source, unpacked)
        _restore_database(unpacked / manifest["database"])
        _restore_files(unpacked / FILES, manifest["files"])


def _unpack(source: Path, into: Path) -> dict:
    """Extract the bundle into ``into`` and check it against its manifest; BackupError naming
    the first problem."""
    try:
        with tarfile.open(source) as bundle:
            bundle.extractall(into, filter="data")  # no paths outside ``into``, no links out
    except (tarfile.TarError, OSError) as exc:
        raise BackupError(f"{source} is not a readable backup: {exc}") from exc
    try:
        manifest = json.loads((into / MANIFEST).read_text())
        database, files = manifest["database"], manifest["files"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BackupError(f"{source} has no valid {MANIFEST}") from exc
    if database not in (f"database{SQLITE_SUFFIX}", f"database{PG_SUFFIX}"):
        raise BackupError(f"{source} names no database")
    for name, expected in files.items():
        stored = into / FILES / PurePosixPath(name)
        if not stored.is_file():
            raise BackupError(f"{source} lacks the file {name}")
        if _sha256(stored) != expected.get("sha256"):
            raise BackupError(f"{source}: the file {name} does not match its checksum")
    return manifest


def _restore_files(unpacked: Path, files: dict) -> None:
    """Put every file of the backup in place; move aside (under the backup folder) the stored
    files the backup does not hold, so nothing is lost."""
    root = _media_root()
    extra = sorted(set(_stored_files()) - set(files))
    if extra:
        aside = backup_dir() / f"replaced-{timezone.now():%Y%m%d-%H%M%S-%f}"
        for name in extra:
            destination = aside / PurePosixPath(name)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(root / PurePosixPath(name), destination)
        logger.warning("restore moved %d files the backup does not hold to %s", len(extra), aside)
    for name in files:
        destination = root / PurePosixPath(name)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(unpacked / PurePosixPath(name), destination)


def _restore_database(source: Path) -> None:
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


@on_tick
def backups_age_out(now=None) -> list[Path]:
    """Once an hour, delete the dated backups older than ``KESHER_BACKUP_KEEP_DAYS`` (one
    worker at a time), though no backup is being made."""
    days = settings.KESHER_BACKUP_KEEP_DAYS
    if days <= 0:
        return []
    now = now or timezone.now()
    with transaction.atomic():
        row, created = WorkerHeartbeat.objects.select_for_update().get_or_create(
            name="backup-age", defaults={"last_seen": now}
        )
        if not created and now - row.last_seen < timedelta(hours=1):
            return []
        row.last_seen = now
        row.save(update_fields=["last_seen"])
    folder = backup_dir()
    if not folder.is_dir():
        return []
    removed = prune(folder, None, days=days, now=now)
    for old in removed:
        logger.info("backup %s aged out (older than %s days)", old.name, days)
    return removed

"""Making, resetting and deleting the practice copy of the live data (REQ IM-6, IMPL-2;
decision 0029). Administrators ask here; the copy and the deletion run in the worker.

The copy goes to a database of its own: SQLite, a file written with the online backup API
(a consistent snapshot while Kesher keeps running); PostgreSQL, a database ``<live>_practice``
made from ``pg_dump`` / ``pg_restore`` (``CREATE DATABASE … TEMPLATE`` would need every session
of the live database closed). Attached files are copied as hard links, so a file deleted in
practice stays in live. The practice environment is served by another process
(``manage.py serve --practice``) whose only database is the copy.
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from kesher.operations.backups import pg_client_env, run_client
from kesher.platform.access import is_admin
from kesher.practice.models import PracticeEnvironment
from kesher.practice.names import practice_database

__all__ = [
    "SQLITE_FILE",
    "practice_copy",
    "practice_copy_run",
    "practice_database_exists",
    "practice_delete",
    "practice_delete_run",
    "practice_state",
    "practice_target",
]

logger = logging.getLogger("kesher.practice")
Status = PracticeEnvironment.Status
SQLITE_FILE = "kesher-practice.sqlite3"
SINGLETON = 1


def practice_target() -> dict:
    """The practice database's settings, derived from the live connection's."""
    return practice_database(
        connection.settings_dict, Path(settings.KESHER_PRACTICE_DIR) / SQLITE_FILE
    )


def practice_state() -> PracticeEnvironment:
    """The state row, or an unsaved "not created" one: reading it writes nothing."""
    found = PracticeEnvironment.objects.filter(pk=SINGLETON).first()
    return found or PracticeEnvironment(pk=SINGLETON)


def _check(actor) -> None:
    if not is_admin(actor):
        raise PermissionDenied(_("Only an administrator may manage the practice environment."))
    if settings.KESHER_PRACTICE:
        raise ValidationError(
            _("This is the practice environment: manage it from the live system.")
        )


def _claim(actor, status: str) -> PracticeEnvironment:
    # The row lock lets one request of two at the same moment start the work.
    state, _created = PracticeEnvironment.objects.select_for_update().get_or_create(pk=SINGLETON)
    if state.busy:
        raise ValidationError(
            _("The practice environment is being copied or deleted; wait for it to finish.")
        )
    state.status = status
    state.requested_by = actor
    state.requested_at = state.updated_at = timezone.now()
    state.error = ""
    state.save(update_fields=["status", "requested_by", "requested_at", "updated_at", "error"])
    return state


@transaction.atomic
def practice_copy(*, actor) -> PracticeEnvironment:
    """Make the practice environment from the live data, or reset it to the live data now."""
    _check(actor)
    state = _claim(actor, Status.COPYING)
    transaction.on_commit(lambda: run_practice_copy.enqueue())
    return state


@transaction.atomic
def practice_delete(*, actor) -> PracticeEnvironment:
    """Delete the practice database and its files."""
    _check(actor)
    state = _claim(actor, Status.DELETING)
    transaction.on_commit(lambda: run_practice_delete.enqueue())
    return state


@task()
def run_practice_copy() -> None:
    practice_copy_run()


@task()
def run_practice_delete() -> None:
    practice_delete_run()


def _finish(**values) -> None:
    PracticeEnvironment.objects.filter(pk=SINGLETON).update(updated_at=timezone.now(), **values)


def practice_copy_run() -> None:
    """The worker's side of a copy: drop what is there, copy the database and the files."""
    if settings.KESHER_PRACTICE:
        return  # a queued copy that came along in the practice copy itself
    state = PracticeEnvironment.objects.select_related("requested_by").get(pk=SINGLETON)
    if state.status != Status.COPYING:
        return
    language = getattr(state.requested_by, "language", "") or settings.LANGUAGE_CODE
    target = practice_target()
    try:
        _drop(target)
        size = _copy_database(target)
        _copy_files()
    except Exception:
        logger.exception("the practice copy failed")
        with translation.override(language):
            _finish(status=Status.FAILED, error=_("The copy stopped on an unexpected error."))
        _drop(target)
        raise
    _finish(status=Status.READY, copied_at=timezone.now(), size=size)


def practice_delete_run() -> None:
    if settings.KESHER_PRACTICE:
        return
    state = PracticeEnvironment.objects.get(pk=SINGLETON)
    if state.status != Status.DELETING:
        return
    _drop(practice_target())
    _finish(status=Status.ABSENT, copied_at=None, size=0)


def _is_sqlite(target: dict) -> bool:
    return "sqlite3" in target["ENGINE"]


def _copy_database(target: dict) -> int:
    """Copy the live database into the practice one; return its size in bytes."""
    connection.ensure_connection()
    if _is_sqlite(target):
        path = Path(target["NAME"])
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".part")
        partial.unlink(missing_ok=True)
        destination = sqlite3.connect(partial)
        try:
            connection.connection.backup(destination)
        finally:
            destination.close()
        # Only a complete copy takes the practice file's name.
        partial.replace(path)
        return path.stat().st_size
    args, env = pg_client_env()
    live = connection.settings_dict["NAME"]
    with _pg_admin() as admin:
        admin.execute(f'CREATE DATABASE "{target["NAME"]}"')
    with tempfile.TemporaryDirectory(prefix="kesher-practice-") as folder:
        dump = str(Path(folder) / "live.dump")
        run_client(["pg_dump", "-Fc", "--no-owner", "-f", dump, *args, live], env)
        run_client(["pg_restore", "--no-owner", "-d", target["NAME"], *args, dump], env)
    with _pg_admin() as admin:
        row = admin.execute("SELECT pg_database_size(%s)", [target["NAME"]]).fetchone()
    return int(row[0])


def _pg_admin():
    """A connection of its own (autocommit: CREATE and DROP DATABASE refuse a transaction)."""
    import psycopg

    db = connection.settings_dict
    params = {"dbname": "postgres", "autocommit": True}
    for key, name in (
        ("HOST", "host"),
        ("PORT", "port"),
        ("USER", "user"),
        ("PASSWORD", "password"),
    ):
        if db.get(key):
            params[name] = str(db[key])
    return psycopg.connect(**params)


def _drop(target: dict) -> None:
    """Remove the practice database and its files, whatever state they are in."""
    if _is_sqlite(target):
        path = Path(target["NAME"])
        for suffix in ("", "-wal", "-shm", "-journal", ".part"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        if target["NAME"] == connection.settings_dict["NAME"]:
            raise ValueError("refusing to drop the live database")
        with _pg_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{target["NAME"]}" WITH (FORCE)')
    folder = Path(settings.KESHER_PRACTICE_DIR)
    for name in ("media", "outbox"):
        shutil.rmtree(folder / name, ignore_errors=True)


def _link_or_copy(source: str, destination: str) -> None:
    try:
        os.link(source, destination)
    except OSError:
        shutil.copy2(source, destination)  # another file system: a real copy


def _copy_files() -> None:
    """The attached files, as hard links: no space used, and deleting one in practice removes
    only the practice's name for it."""
    source = Path(settings.MEDIA_ROOT)
    if source.is_dir():
        shutil.copytree(
            source, Path(settings.KESHER_PRACTICE_DIR) / "media", copy_function=_link_or_copy
        )


def practice_database_exists() -> bool:
    """In the practice process: whether its database is there to serve (SQLite would make an
    empty file on connecting, so the file is looked for first)."""
    db = connection.settings_dict
    if "sqlite3" in db["ENGINE"]:
        return Path(db["NAME"]).is_file()
    from django.db.utils import OperationalError

    try:
        connection.ensure_connection()
    except OperationalError:
        return False
    return True

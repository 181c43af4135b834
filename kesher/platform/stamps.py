"""Process-wide caches of what administrators define, kept right across processes.

The web server and the worker each keep the custom-field definitions and field rules they read
(every create, update and list needs them); a change in one process must reach the others.
Each change replaces a random token in ``platform_schemastamp`` inside its own transaction, and
a cache entry is used only while the token it was read under is still current — reading the
token is one primary-key lookup instead of compiling and running the definitions' queries.
The token is random, not a counter, so a rolled-back change can never make an old entry look
current.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar, cast

from django.db import InterfaceError, OperationalError, connection

__all__ = [
    "cached",
    "forget",
    "remembered",
    "remembered_for_request",
    "renew",
    "renew_on_change",
    "seeding",
]

FIELDS = "fields"  # custom fields and field rules
ROLES = "roles"  # roles and their entity permissions
AUTOMATION = "automation"  # automation rules

T = TypeVar("T")
_LOADED = object()  # marks a request's tokens as read

_entries: dict[tuple[tuple[str, ...], str], tuple[tuple, object]] = {}

# Within one request the token is read once (RequestMemoMiddleware); outside a request (the
# worker, the shell) every use reads it.
_request_tokens: ContextVar[dict | None] = ContextVar("schema_stamps", default=None)


@contextmanager
def remembered_for_request():
    handle = _request_tokens.set({})
    try:
        yield
    finally:
        _request_tokens.reset(handle)


@contextmanager
def remembered():
    """The tokens read once for the block, unless they already are (within a request): one
    piece of work that reads them several times (a commit's events delivered to their
    subscribers) reads them once, without making a request read them twice."""
    if _request_tokens.get() is not None:
        yield
        return
    with remembered_for_request():
        yield


def _select_tokens() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, token FROM platform_schemastamp")
        return dict(cursor.fetchall())


def _read_tokens() -> dict:
    """The stamps, read by what is usually a request's first query — which also serves as the
    connection's health check (``CONN_HEALTH_CHECKS``): Django would send a ``SELECT 1`` before
    it, a round trip on every request. A connection that fails it is closed and the read made
    again on a new one, as Django's own check would."""
    # ``health_check_*`` are Django's (5.1+) and not in django-stubs yet.
    due = (
        connection.health_check_enabled  # type: ignore[attr-defined]
        and not connection.health_check_done  # type: ignore[attr-defined]
        and connection.connection is not None
        and not connection.in_atomic_block
    )
    if not due:
        return _select_tokens()
    connection.health_check_done = True  # type: ignore[attr-defined]
    try:
        return _select_tokens()
    except (InterfaceError, OperationalError):
        connection.close()
    return _select_tokens()


def _tokens() -> dict:
    """Every stamp's token, read once per request (a request needs several: grants, fields)."""
    tokens = _request_tokens.get()
    if tokens is None or _LOADED not in tokens:
        read = _read_tokens()
        if tokens is None:
            return read
        tokens.update(read)
        tokens[_LOADED] = True
    return tokens


def cached(names: str | tuple[str, ...], key: str, load: Callable[[], T]) -> T:
    """``load()``'s result, read again only after a change under any of the stamps ``names``."""
    names = (names,) if isinstance(names, str) else names
    tokens = _tokens()
    token = tuple(tokens.get(name) for name in names)
    entry = _entries.get((names, key))
    if entry is not None and entry[0] == token and None not in token:
        return cast(T, entry[1])  # what ``load`` returned under this key
    value = load()
    if None not in token:  # no stamp row (a flushed test database): never cache
        _entries[(names, key)] = (token, value)
    return value


def forget(names: str | tuple[str, ...], key: str) -> None:
    """Drop one cached value in this process (its next use loads it again)."""
    _entries.pop(((names,) if isinstance(names, str) else names, key), None)


def renew(name: str) -> None:
    """Mark everything cached under ``name`` stale, for every process, when this transaction
    commits (and for this one at once)."""
    token = secrets.token_hex(16)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE platform_schemastamp SET token = %s WHERE name = %s", [token, name])
        if cursor.rowcount == 0:
            cursor.execute(
                "INSERT INTO platform_schemastamp (name, token) VALUES (%s, %s)", [name, token]
            )
    tokens = _request_tokens.get()
    if tokens is not None:
        tokens.clear()


def renew_on_change(name: str, *models) -> None:
    """Renew stamp ``name`` whenever a row of one of ``models`` is saved or deleted (their
    set-based writes renew it through ``StampedQuerySet``, which reads ``schema_stamp``)."""
    from django.db.models.signals import post_delete, post_save

    def changed(**_kwargs):
        renew(name)

    for model in models:
        model.schema_stamp = name
        uid = f"stamp_{name}_{model._meta.label_lower}"
        post_save.connect(changed, sender=model, weak=False, dispatch_uid=uid)
        post_delete.connect(changed, sender=model, weak=False, dispatch_uid=f"{uid}_delete")


def seeding(name: str):
    """The migration operation that adds stamp ``name``'s row, in the migration of the app that
    first caches under it (``cached`` never caches under a stamp without one)."""
    from django.db import migrations

    def add_stamp(apps, schema_editor):
        apps.get_model("platform", "SchemaStamp").objects.get_or_create(
            name=name, defaults={"token": "initial"}
        )

    return migrations.RunPython(add_stamp, migrations.RunPython.noop)

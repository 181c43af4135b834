"""Domain events, delivered to subscribers only after the writing transaction commits."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction

from kesher.platform import stamps

__all__ = [
    "CREATED",
    "DELETED",
    "UPDATED",
    "Event",
    "emit",
    "emit_many",
    "subscribe",
    "unsubscribe",
]

logger = logging.getLogger("kesher.events")

CREATED = "created"
UPDATED = "updated"
DELETED = "deleted"


@dataclass(frozen=True)
class Event:
    name: str  # created / updated / deleted / status_entered ...
    entity: str
    object_id: int
    actor_id: int | None
    changes: dict = field(default_factory=dict)
    # {link field: [old id, new id]} of the changed links, where the writer knew them:
    # ``changes`` shows a linked record by its name, which two records may share.
    ids: dict = field(default_factory=dict)


_subscribers: dict[str, list[Callable[[Event], None]]] = defaultdict(list)


def subscribe(name: str, handler: Callable[[Event], None]) -> None:
    """Call ``handler(event)`` for every ``name`` event ("*" for all) after commit."""
    _subscribers[name].append(handler)


def unsubscribe(name: str, handler: Callable[[Event], None]) -> None:
    _subscribers[name].remove(handler)


class _Delivery:
    """The subscribers of one commit's events, in one transaction of their own.

    Each subscriber runs in a savepoint made just before its first statement (an execute
    wrapper): one whose handling fails is rolled back alone, with what it asked to run after
    commit, and the others' writes stay; one that reads or writes nothing costs no statement
    (a save no automation rule matches still costs none). The transaction costs no statement
    either until a subscriber sends one (PostgreSQL begins it with the first; on SQLite the
    ``BEGIN`` is the one statement a delivery always sends). Decision 0096."""

    def __init__(self, connection) -> None:
        self.connection = connection
        self.savepoint: str | None = None
        self.opening = False

    def __call__(self, execute, sql, params, many, context):
        if self.savepoint is None and not self.opening:
            self.opening = True
            try:
                self.savepoint = self.connection.savepoint()
            finally:
                self.opening = False
        return execute(sql, params, many, context)

    def run(self, handler: Callable[[Event], None], event: Event) -> None:
        connection = self.connection
        self.savepoint = None
        callbacks = len(connection.run_on_commit)
        try:
            handler(event)
        except Exception:
            # A subscriber's failure must never undo or block the user's committed write,
            # nor the other subscribers' work.
            logger.exception("event handler %r failed for %s", handler, event)
            if self.savepoint is not None:
                connection.savepoint_rollback(self.savepoint)
                connection.needs_rollback = False  # the transaction is whole again
            del connection.run_on_commit[callbacks:]
        finally:
            self.savepoint = None


def _handlers(event: Event) -> list[Callable[[Event], None]]:
    return [*_subscribers.get(event.name, ()), *_subscribers.get("*", ())]


def _deliver(batch: list[Event]) -> None:
    """Deliver ``batch`` (one commit's events) to their subscribers in one transaction: a
    deal's move committed three times (the move; the followers' news; the rules' runs with
    the worker's task), now twice. Nested in a transaction (a test's), no savepoint of its own:
    each subscriber has one."""
    connection = transaction.get_connection()
    delivery = _Delivery(connection)
    with stamps.remembered():
        try:
            with transaction.atomic(savepoint=False), connection.execute_wrapper(delivery):
                for event in batch:
                    for handler in _handlers(event):
                        delivery.run(handler, event)
        except Exception:
            # The commit of the subscribers' work failed (a serialization failure, a lost
            # connection): the user's write stands; what the subscribers wrote is lost, and
            # nothing they queued for after commit runs.
            logger.exception("event delivery failed to commit for %s", batch)


def emit(event: Event) -> None:
    """Deliver ``event`` after commit; its subscribers read the schema stamps once between
    them, as within a request (outside one — the worker, a service called by a command — the
    automation engine and the followers' news each read them: a deal's move read them 3 times
    after its commit), and write in one transaction (decision 0096)."""
    transaction.on_commit(lambda: _deliver([event]))


def emit_many(batch: list[Event]) -> None:
    """Emit a bulk write's events with one commit hook; subscribers read the schema stamps
    once for all of them, as within a request (an import's batch of 500 records read them
    1,000 times), and write in one transaction."""
    if not batch:
        return
    transaction.on_commit(lambda: _deliver(batch))

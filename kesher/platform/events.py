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


def _deliver(event: Event) -> None:
    for handler in [*_subscribers.get(event.name, ()), *_subscribers.get("*", ())]:
        try:
            handler(event)
        except Exception:
            # A subscriber's failure must never undo or block the user's committed write.
            logger.exception("event handler %r failed for %s", handler, event)


def emit(event: Event) -> None:
    """Deliver ``event`` after commit; its subscribers read the schema stamps once between
    them, as within a request (outside one — the worker, a service called by a command — the
    automation engine and the followers' news each read them: a deal's move read them 3 times
    after its commit)."""

    def deliver() -> None:
        with stamps.remembered():
            _deliver(event)

    transaction.on_commit(deliver)


def emit_many(batch: list[Event]) -> None:
    """Emit a bulk write's events with one commit hook; subscribers read the schema stamps
    once for all of them, as within a request (an import's batch of 500 records read them
    1,000 times)."""
    if not batch:
        return

    def deliver_all() -> None:
        with stamps.remembered():
            for event in batch:
                _deliver(event)

    transaction.on_commit(deliver_all)

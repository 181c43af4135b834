"""What a request showed, exported or changed of the records it touched, noted for the access
log (REQ OR-8, issue 25; the Data Security Regulations 2017 ask who reached which personal data,
when, and what was done).

The platform's views and services say what they did with ``note``; an app that keeps the log
(``kesher.privacy``) opens ``collecting()`` around the request and writes the notes once at its
end. Outside of it (the worker, a management command) ``note`` costs a context-variable read and
keeps nothing. Notes hold record ids and the action, never the values shown.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

__all__ = ["MAX_IDS", "Note", "collecting", "note"]

# A page shows at most this many records of one entity (a list's page, search results): the
# rest of a longer iterable is not noted.
MAX_IDS = 200


@dataclass(frozen=True)
class Note:
    """One thing a request did: ``action`` ("read", "list", "search", "export", "change") on
    the records ``ids`` of entity ``entity`` (none for an export of a whole list)."""

    action: str
    entity: str
    ids: tuple[int, ...]


_notes: ContextVar[list[Note] | None] = ContextVar("kesher_access_notes", default=None)


def note(action: str, entity: str, ids: Iterable[int] = ()) -> None:
    """Tell the access log, if one is collecting, that ``action`` was done on ``ids``."""
    notes = _notes.get()
    if notes is None:
        return
    kept: list[int] = []
    for pk in ids:
        if len(kept) == MAX_IDS:
            break
        kept.append(pk)
    notes.append(Note(action, entity, tuple(kept)))


@contextmanager
def collecting() -> Iterator[list[Note]]:
    """Collect the notes made inside the block into the list it gives."""
    notes: list[Note] = []
    token = _notes.set(notes)
    try:
        yield notes
    finally:
        _notes.reset(token)

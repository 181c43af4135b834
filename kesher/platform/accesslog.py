"""What a request showed, exported or changed of the records it touched, noted for the access
log (REQ OR-8, issue 25; the Data Security Regulations 2017 ask who reached which personal data,
when, and what was done).

The platform's views and services say what they did with ``note``; an app that keeps the log
(``kesher.privacy``) opens ``collecting()`` around the request and writes the notes once at its
end. Outside of it (the worker, a management command) ``note`` costs a context-variable read and
keeps nothing. Notes hold record ids and the action, never the values shown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

__all__ = [
    "MAX_IDS",
    "Note",
    "collecting",
    "contains",
    "note",
    "note_export",
    "ranges",
    "recorded",
    "register_writer",
]

# A page shows at most this many records of one entity (a list's page, search results): the
# rest of a longer iterable is not noted.
MAX_IDS = 200


@dataclass(frozen=True)
class Note:
    """One thing a request did: ``action`` ("read", "list", "search", "export", "change",
    "report") on the records ``ids`` of entity ``entity``. An export of a list names no ids:
    ``contained`` says which records the file held, as ``ranges`` ("" for none)."""

    action: str
    entity: str
    ids: tuple[int, ...]
    contained: str | None = None


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


def ranges(ids: Iterable[int]) -> str:
    """Ids as their runs, compactly: ``[1, 2, 3, 7, 9, 10]`` → ``"1-3,7,9-10"`` (sorted, once
    each). A list's export of consecutive records is one run, whatever its length."""
    runs: list[str] = []
    first = last = None
    for pk in sorted(set(ids)):
        if last is not None and pk == last + 1:
            last = pk
            continue
        if first is not None:
            runs.append(f"{first}-{last}" if last != first else str(first))
        first = last = pk
    if first is not None:
        runs.append(f"{first}-{last}" if last != first else str(first))
    return ",".join(runs)


def contains(runs: str, pk: int) -> bool:
    """Whether the ``ranges`` text ``runs`` holds the id ``pk``."""
    for run in runs.split(","):
        if not run:
            continue
        first, _sep, last = run.partition("-")
        if int(first) <= pk <= int(last or first):
            return True
    return False


def note_export(entity: str, ids: Iterable[int]) -> None:
    """A file of ``entity``'s records ``ids`` was exported: one note naming them all, as runs
    (a list's export can hold a million records, a row each would not do)."""
    notes = _notes.get()
    if notes is None:
        return
    notes.append(Note("export", entity, (), ranges(ids)))


@contextmanager
def collecting() -> Iterator[list[Note]]:
    """Collect the notes made inside the block into the list it gives."""
    notes: list[Note] = []
    token = _notes.set(notes)
    try:
        yield notes
    finally:
        _notes.reset(token)


# Who writes the notes made outside of a request (the access log's app registers itself).
_writers: list[Callable[[object, list[Note]], None]] = []


def register_writer(writer: Callable[[object, list[Note]], None]) -> None:
    """``writer(user, notes)`` keeps what work done for ``user`` outside a request noted."""
    _writers.append(writer)


@contextmanager
def recorded(user) -> Iterator[None]:
    """Work done for ``user`` outside a request (the worker e-mailing him a report): what it
    notes is kept as his, written at the block's end."""
    with collecting() as notes:
        yield
    if notes:
        for writer in _writers:
            writer(user, notes)

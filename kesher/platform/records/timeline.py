"""Sources of a record's timeline beyond its audit entries (DESIGN.md "Audit and timeline":
the timeline merges changes, interactions, tasks, emails and automation runs).

An app registers a function ``source(record, user)`` returning ``TimelineItem``s about the
record that ``user`` may see, written for him when asked; the detail page merges them with the
audit entries, newest first. An item reads like an audit entry as ``history.describe`` leaves
it (``at``, ``actor``, ``action``, ``get_action_display()``, ``rows``), so the timeline's
template shows both alike.

The timeline is one, on the record's page; its filter narrows it to the changes alone or to
one kind a source offers (``register_source(..., kinds=...)``: tasks, a kind of interaction).
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from kesher.platform.records.history import describe

__all__ = ["CHANGES", "TimelineItem", "items_for", "kinds", "merge", "register_source"]

logger = logging.getLogger("kesher.timeline")

Source = Callable[..., Iterable["TimelineItem"]]
_sources: list[Source] = []
# Sources that offer kinds to the filter -> ``kinds(user, entity)``, their ``(value, label)``
# choices on the pages of that entity.
_kinds: dict[Source, Callable[[object, object], list[tuple[str, str]]]] = {}

# The filter's choice of the audit entries alone.
CHANGES = "changes"


@dataclass
class TimelineItem:
    """One timeline entry from an app: when, by whom, a title, and label → value details."""

    at: datetime.datetime
    actor: object
    title: str
    action: str = "activity"
    # {label: [old, new]} like an audit entry's changes; labels are shown as given.
    changes: dict = field(default_factory=dict)
    url: str = ""

    def get_action_display(self) -> str:
        return self.title

    @property
    def rows(self) -> list[tuple[str, str, str]]:
        """``(label, old, new)`` texts, as an audit entry's."""
        return [(str(label), _text(old), _text(new)) for label, (old, new) in self.changes.items()]


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def register_source(source: Source | None = None, *, kinds=None):
    """Add ``source(record, user)`` to every record's timeline. Usable as a decorator, bare or
    as ``@register_source(kinds=...)``: ``kinds(user, entity)`` lists the ``(value, label)``
    choices the timeline's filter offers for its items on that entity's pages, and the
    filtered timeline asks it for one with ``source(record, user, kind=value)`` (it returns
    nothing for a kind not its own)."""
    if source is None:
        return lambda source: register_source(source, kinds=kinds)
    if source not in _sources:
        _sources.append(source)
    if kinds is not None:
        _kinds[source] = kinds
    return source


def kinds(user, entity) -> list[tuple[str, str]]:
    """The filter's choices on the timeline of ``entity``'s records: everything, the changes,
    then what the sources offer there."""
    choices = [("", _("Everything")), (CHANGES, _("Changes"))]
    for source in _sources:
        if source in _kinds:
            choices += _kinds[source](user, entity)
    return choices


def items_for(record, user, kind: str = "") -> list[TimelineItem]:
    """The sources' items of ``record``; only those of ``kind`` when given."""
    items: list[TimelineItem] = []
    for source in _sources:
        if not kind:
            items.extend(source(record, user))
        elif source in _kinds:
            items.extend(source(record, user, kind=kind))
    return items


def merge(entries, record, user, limit: int = 100, kind: str = "") -> list:
    """Audit entries and the sources' items of ``record``, newest first, at most ``limit``,
    each with its ``rows`` as ``user`` reads them; ``kind``, one of the filter's choices
    (``kinds``), narrows them to the changes alone or to the items of that kind."""
    if kind == CHANGES:
        merged = list(entries)
    else:
        merged = ([] if kind else list(entries)) + items_for(record, user, kind)
    merged.sort(key=lambda item: item.at, reverse=True)
    return describe(merged[:limit], user)

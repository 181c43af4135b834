"""Sources of a record's timeline beyond its audit entries (DESIGN.md "Audit and timeline":
the timeline merges changes, interactions, tasks, emails and automation runs).

An app registers a function ``source(record, user)`` returning ``TimelineItem``s about the
record that ``user`` may see, written for him when asked; the detail page merges them with the
audit entries, newest first. An item reads like an audit entry as ``history.describe`` leaves
it (``at``, ``actor``, ``action``, ``get_action_display()``, ``rows``), so the timeline's
template shows both alike.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from kesher.platform.records.history import describe

__all__ = ["TimelineItem", "items_for", "merge", "register_source"]

logger = logging.getLogger("kesher.timeline")

Source = Callable[[object, object], Iterable["TimelineItem"]]
_sources: list[Source] = []


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


def register_source(source: Source) -> Source:
    """Add ``source(record, user)`` to every record's timeline. Usable as a decorator."""
    if source not in _sources:
        _sources.append(source)
    return source


def items_for(record, user) -> list[TimelineItem]:
    items: list[TimelineItem] = []
    for source in _sources:
        items.extend(source(record, user))
    return items


def merge(entries, record, user, limit: int = 100) -> list:
    """Audit entries and the sources' items of ``record``, newest first, at most ``limit``,
    each with its ``rows`` as ``user`` reads them."""
    merged = list(entries) + items_for(record, user)
    merged.sort(key=lambda item: item.at, reverse=True)
    return describe(merged[:limit], user)

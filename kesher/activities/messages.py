"""What a notification says, made when it is read, in its reader's language and time zone
(decision 0042; issue 14 item 7): a notification stores a message key and its parameters,
never a finished sentence.

Apps register their messages once (``register_message`` with a ``gettext_lazy`` text); a
parameter is plain text (a task's title, a person's name), a moment (``moment(dt)``: shown as
dd/mm/yyyy HH:MM in the reader's time zone) or a text in each language (``in_languages``: an
approval process's name).
"""

from __future__ import annotations

import datetime

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kesher.platform.ui.display import format_when

__all__ = [
    "ASSIGNED",
    "MEETING",
    "OVERDUE",
    "REMINDER",
    "SLA",
    "TASK_CANCELLED",
    "TASK_DONE",
    "in_languages",
    "moment",
    "register_message",
    "render",
]

_messages: dict[str, object] = {}


def register_message(key: str, text) -> str:
    """Declare a message: ``text`` is marked for translation, with ``%(name)s`` parameters."""
    _messages[key] = text
    return key


def moment(value: datetime.datetime) -> dict:
    """A date and time parameter, shown in the reader's time zone."""
    return {"at": value.isoformat()}


def in_languages(obj, base: str) -> dict:
    """A parameter kept in Hebrew and English (``obj.<base>_he`` / ``_en``), shown in the
    reader's language."""
    return {"he": getattr(obj, f"{base}_he", ""), "en": getattr(obj, f"{base}_en", "")}


def _param(value) -> str:
    if isinstance(value, dict) and "at" in value:
        try:
            return format_when(datetime.datetime.fromisoformat(value["at"]))
        except (TypeError, ValueError):
            return str(value["at"])
    if isinstance(value, dict):
        language = (get_language() or "he")[:2]
        return value.get(language) or value.get("he") or ""
    return str(value)


def render(key: str, params: dict) -> str:
    """The message ``key`` with its parameters, in the active language and time zone; an
    unknown key (an app removed since) shows its parameters as they are."""
    text = _messages.get(key)
    values = {name: _param(value) for name, value in (params or {}).items()}
    if text is None:
        return " · ".join(values.values())
    try:
        return str(text) % values
    except (KeyError, TypeError, ValueError):
        return " · ".join(values.values())


REMINDER = register_message("activities.reminder", _("Reminder: %(title)s"))
OVERDUE = register_message("activities.overdue", _("Task overdue: %(title)s"))
SLA = register_message("activities.sla", _("SLA breached: %(title)s"))
TASK_DONE = register_message("activities.task_done", _("Task done: %(title)s"))
TASK_CANCELLED = register_message("activities.task_cancelled", _("Task cancelled: %(title)s"))
ASSIGNED = register_message("activities.assigned", _("%(user)s handed you a task: %(title)s"))
MEETING = register_message("activities.meeting", _("Meeting on %(when)s: %(subject)s"))

"""Files an outgoing e-mail carries (a quote's PDF): the app that queued the message registers,
for the kind of record it is about, what to attach; the worker asks at delivery, so the
message row stays as it is and the file is read from where its app keeps it (decision 0077).
A provider that cannot find its file raises, and the message waits and fails as any failed
delivery does — it is never sent without the file it promised."""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["attachments_for", "register_attachments"]

# (file name, content, MIME type)
Attachment = tuple[str, bytes, str]
_providers: dict[str, Callable[[object], list[Attachment]]] = {}


def register_attachments(link_type: str, provider: Callable[[object], list[Attachment]]) -> None:
    """``provider(message)`` gives the files of a message about a ``link_type`` record."""
    _providers[link_type] = provider


def attachments_for(message) -> list[Attachment]:
    provider = _providers.get(message.link_type)
    return provider(message) if provider is not None else []

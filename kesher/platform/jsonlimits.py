"""JSON from outside, read with a limit on its nesting (issue "Platform v2" item 10).

Python's parser, and everything that walks the result recursively afterwards (validation,
the filter compiler, ``json.dumps`` on the way to the database), runs out of stack on a
document nested about a thousand levels deep: a RecursionError, answered with 500. Kesher's
own JSON (filters, custom values, automation rules) is never more than a few dozen levels deep,
so anything deeper is refused as bad input, with a translated message, before it is used.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext as _

__all__ = ["MAX_DEPTH", "Decoder", "TooDeep", "check_depth", "loads", "too_deep_message"]

MAX_DEPTH = 64


def too_deep_message() -> str:
    return _("The JSON is nested too deeply (at most %(limit)s levels).") % {"limit": MAX_DEPTH}


class TooDeep(json.JSONDecodeError):
    """Refused for its nesting. A ``JSONDecodeError`` (so a ``ValueError``), so that every
    handler of malformed JSON, Django's form field included, refuses it too."""

    def __init__(self):
        super().__init__(too_deep_message(), "", 0)

    def __str__(self):
        return self.msg


def check_depth(value, limit: int = MAX_DEPTH) -> None:
    """Raise ``TooDeep`` when lists and objects in ``value`` nest more than ``limit`` deep.
    Walks without recursion, so any depth the parser let through is measured safely."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        children: Iterable[Any]
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list | tuple):
            children = node
        else:
            continue
        if depth > limit:
            raise TooDeep()
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))


class Decoder(json.JSONDecoder):
    """``json.loads(text, cls=Decoder)``: a too-deep document raises ``TooDeep``."""

    def decode(self, s, *args, **kwargs):
        try:
            value = super().decode(s, *args, **kwargs)
        except RecursionError:
            raise TooDeep() from None
        check_depth(value)
        return value


def loads(text: str | bytes):
    """``json.loads`` for text from a request: ``TooDeep`` (a ``ValueError``) when nested too
    deeply, like any other malformed JSON."""
    return json.loads(text, cls=Decoder)

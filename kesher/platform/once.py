"""One record per create: a form carries a one-time ``submission`` token, so the same POST
arriving twice — a double click, or a browser resending it on a keep-alive connection the
server closed before answering (two document templates from one click, seen in the browser
tests under load) — answers the repeat with the record the first made instead of a second one.

The tokens live in the default cache, which is shared by every process (the database's, or
Redis). A repeat that arrives while the first is still saving waits for it, briefly. The API
does the same for a create sent with an ``Idempotency-Key`` header (a client retrying after a
timeout), per caller and kind of record."""

from __future__ import annotations

import hashlib
import time
import uuid

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

__all__ = [
    "FIELD",
    "HEADER",
    "StillSaving",
    "api_token",
    "claim",
    "earlier",
    "is_repeat",
    "new_token",
    "settle",
    "token",
]

FIELD = "submission"
HEADER = "Idempotency-Key"
_HEADER_MAX = 255
_KEPT_SECONDS = 3600
_WAIT_SECONDS = 10
_WAIT_STEP = 0.1
# What a claimed token holds until its record is made (a record's key is never 0).
_SAVING = 0


class StillSaving(Exception):
    """The first POST of this form has not finished within the wait: nothing is written."""

    def __init__(self):
        super().__init__(_("This form is still being saved. Reload the page in a moment."))


def new_token() -> str:
    return uuid.uuid4().hex


def token(request) -> str:
    """The POST's token, or "" (forms without one, and API calls, create as before)."""
    value = request.POST.get(FIELD, "") if request.method == "POST" else ""
    return value if len(value) == 32 and value.isalnum() else ""


def api_token(request, entity_key: str) -> str:
    """The token of an API create's ``Idempotency-Key`` (one caller's key for one kind of
    record), or "" without one. A key that is not 1–255 printable ASCII characters is refused."""
    sent = request.headers.get(HEADER)
    if sent is None:
        return ""
    if not 0 < len(sent) <= _HEADER_MAX or not (sent.isascii() and sent.isprintable()):
        raise ValidationError(
            {HEADER: _("An Idempotency-Key is 1 to 255 printable ASCII characters.")}
        )
    scoped = f"{request.user.pk}:{entity_key}:{sent}".encode()
    return hashlib.sha256(scoped).hexdigest()[:32]


def _key(value: str) -> str:
    return f"submission-once:{value}"


def is_repeat(value: str) -> bool:
    """Whether a POST with this token was already received (saving, or saved)."""
    return bool(value) and cache.get(_key(value)) is not None


def claim(value: str) -> bool:
    """True for the first POST of a token: it may create. False for a repeat."""
    return cache.add(_key(value), _SAVING, _KEPT_SECONDS)


def settle(value: str, pk) -> None:
    """After the first POST: remember what it made, or free the token when it made nothing
    (a form with errors is sent again with the same token once corrected)."""
    if pk is None:
        cache.delete(_key(value))
    else:
        cache.set(_key(value), pk, _KEPT_SECONDS)


def earlier(value: str, queryset):
    """The record the first POST of this token made, from ``queryset`` (the reader's visible
    records); None when the first made nothing after all. Raises ``StillSaving`` when the
    first has not finished in time."""
    deadline = time.monotonic() + _WAIT_SECONDS
    while True:
        made = cache.get(_key(value))
        if made is None:
            return None
        if made != _SAVING:
            return queryset.filter(pk=made).first()
        if time.monotonic() >= deadline:
            raise StillSaving
        time.sleep(_WAIT_STEP)

"""Signing and sending one webhook delivery (issue 5 item 4; decision 0034).

The body is JSON made once when the delivery is queued. The signature is HMAC-SHA256 of those
raw bytes with the subscription's secret, in ``X-Kesher-Signature: sha256=<hex>``;
``X-Kesher-Delivery`` carries the delivery id (the same on every retry, so a receiver can drop
a repeat), ``X-Kesher-Event`` the event and ``X-Kesher-Timestamp`` the moment of this attempt.
A delivery queued without a secret (an automation rule's author may leave it empty) goes unsigned.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder

from kesher.platform import outgoing

__all__ = ["Attempt", "encode", "post", "sign", "verify"]

SIGNATURE_HEADER = "X-Kesher-Signature"
DELIVERY_HEADER = "X-Kesher-Delivery"
EVENT_HEADER = "X-Kesher-Event"
TIMESTAMP_HEADER = "X-Kesher-Timestamp"
ERROR_BODY_LIMIT = 300


def encode(payload: dict) -> str:
    """The body sent for ``payload``: compact JSON, Hebrew as UTF-8, dates in ISO 8601."""
    return json.dumps(payload, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))


def sign(secret: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(secret: str, body: bytes, header: str) -> bool:
    """What a receiver does: recompute and compare in constant time."""
    return hmac.compare_digest(sign(secret, body), header or "")


@dataclass(frozen=True)
class Attempt:
    """The outcome of one POST: delivered on a 2xx answer."""

    delivered: bool
    status_code: int | None
    error: str


def post(*, url: str, secret: str, event: str, delivery_id: str, body: str) -> Attempt:
    """POST ``body`` to ``url`` once, signed; never raises for network trouble."""
    raw = body.encode()
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "Kesher-Webhooks",
        DELIVERY_HEADER: delivery_id,
        EVENT_HEADER: event,
        TIMESTAMP_HEADER: str(int(time.time())),
    }
    if secret:
        headers[SIGNATURE_HEADER] = sign(secret, raw)
    request = urllib.request.Request(url, data=raw, headers=headers, method="POST")  # noqa: S310  (an admin's http(s) URL)
    try:
        with outgoing.urlopen(request, timeout=settings.KESHER_WEBHOOK_TIMEOUT) as answer:
            return Attempt(True, answer.status, "")
    except urllib.error.HTTPError as error:
        text = error.read(ERROR_BODY_LIMIT).decode("utf-8", "replace")
        return Attempt(False, error.code, f"HTTP {error.code} {error.reason}: {text}".strip())
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        if isinstance(reason, TimeoutError) or "timed out" in str(reason):
            return Attempt(False, None, f"timed out after {settings.KESHER_WEBHOOK_TIMEOUT} s")
        return Attempt(False, None, f"connection failed: {reason}")

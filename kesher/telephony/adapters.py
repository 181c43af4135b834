"""Reading a phone system's webhook: checking it is genuine and mapping its fields to Kesher's
(REQ IN-2). The mapping is data: each provider has a preset here, and a connection's
``field_map`` overrides any of its entries (docs/user-guide/telephony.*.md lists them).

Authentication, per connection:

* ``hmac`` — ``X-Kesher-Timestamp: <unix seconds>`` and
  ``X-Kesher-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>." + raw body, keyed by the
  secret>``; a timestamp more than five minutes off is refused, and so is a signature already
  accepted (a replay).
* ``secret`` — for phone systems that can only add a fixed value to the URL or a header: the
  secret in ``X-Kesher-Secret`` or the ``secret`` query parameter. A replay of such a request
  changes nothing: events are idempotent by the call id (services.call_event_record).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from urllib.parse import parse_qsl

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

__all__ = [
    "PRESETS",
    "CallEvent",
    "Refused",
    "check_request",
    "parse_body",
    "read_event",
    "sign",
]

SIGNATURE_HEADER = "X-Kesher-Signature"
TIMESTAMP_HEADER = "X-Kesher-Timestamp"
SECRET_HEADER = "X-Kesher-Secret"  # noqa: S105  (a header's name)
MAX_SKEW_SECONDS = 300
EVENTS = ("ringing", "answered", "ended")

# Kesher's field → the provider's. ``events`` maps the provider's event values to Kesher's and
# ``directions`` its direction values; a field named by a dotted path reads a nested object.
PRESETS: dict[str, dict] = {
    "generic": {
        "call_id": "call_id",
        "event": "event",
        "from": "from",
        "to": "to",
        "extension": "extension",
        "direction": "direction",
        "duration": "duration",
        "recording_url": "recording_url",
        "id_number": "id_number",
        "events": {"ringing": "ringing", "answered": "answered", "ended": "ended"},
        "directions": {"in": "in", "out": "out", "inbound": "in", "outbound": "out"},
    },
    # Voicenter's real-time call events / CDR notification (JSON). Field names as documented by
    # Voicenter for its "Call Events" webhook; check them against the account's settings page.
    "voicenter": {
        "call_id": "ivruniqueid",
        "event": "status",
        "from": "caller",
        "to": "target",
        "extension": "target_extension",
        "direction": "type",
        "duration": "duration",
        "recording_url": "record",
        "id_number": "ivr_id_number",
        "events": {
            "ringing": "ringing",
            "dialing": "ringing",
            "answer": "answered",
            "answered": "answered",
            "hangup": "ended",
            "end": "ended",
        },
        "directions": {"incoming": "in", "outgoing": "out", "in": "in", "out": "out"},
    },
    # Yemot HaMashiach's API extension (form fields, GET or POST). A typed value arrives under
    # the name its extension's settings give it; here "id_number".
    "yemot": {
        "call_id": "ApiCallId",
        "event": "ApiEvent",
        "from": "ApiPhone",
        "to": "ApiDID",
        "extension": "ApiExtension",
        "direction": "ApiDirection",
        "duration": "ApiDuration",
        "recording_url": "ApiRecording",
        "id_number": "id_number",
        "default_event": "ringing",
        "hangup_field": "hangup",
        "events": {"ringing": "ringing", "answered": "answered", "ended": "ended"},
        "directions": {"in": "in", "out": "out"},
    },
}


class Refused(Exception):
    """The request is not the phone system's (forged, stale or replayed): HTTP 403 or 409."""

    def __init__(self, message: str, status: int = 403):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class CallEvent:
    """One event of one call, in Kesher's terms."""

    call_id: str
    event: str
    caller: str
    callee: str
    extension: str
    direction: str
    duration: int | None
    recording_url: str
    id_number: str


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Kesher-Signature`` value of ``body`` sent at ``timestamp``."""
    message = timestamp.encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def check_request(connection, *, headers, query, body: bytes, now: float | None = None) -> str:
    """Refuse a request its connection's secret does not vouch for; return the digest that
    identifies an HMAC-signed request (empty for a shared secret) so a replay can be refused."""
    if connection.auth == "secret":
        given = headers.get(SECRET_HEADER) or query.get("secret") or ""
        if not given or not hmac.compare_digest(given.encode(), connection.secret.encode()):
            raise Refused(_("The request is not signed by a known phone system."))
        return ""
    timestamp = headers.get(TIMESTAMP_HEADER, "")
    signature = headers.get(SIGNATURE_HEADER, "")
    if not timestamp or not signature:
        raise Refused(_("The request is not signed by a known phone system."))
    if not hmac.compare_digest(sign(connection.secret, timestamp, body), signature):
        raise Refused(_("The request is not signed by a known phone system."))
    try:
        sent = float(timestamp)
    except ValueError:
        raise Refused(_("The request is not signed by a known phone system.")) from None
    if abs((time.time() if now is None else now) - sent) > MAX_SKEW_SECONDS:
        raise Refused(_("The request is too old, or its clock is wrong."))
    return hashlib.sha256(signature.encode()).hexdigest()


def parse_body(body: bytes, content_type: str, query, form=None) -> dict:
    """The request's fields: a JSON object, or form fields (``form``: the request's parsed
    POST, for a multipart body), and the query string, for phone systems that call with GET
    parameters."""
    fields: dict = {k: v for k, v in query.items() if k not in ("pbx", "secret")}
    if content_type.startswith("multipart/") and form is not None:
        fields.update(form.items())
    elif "json" in content_type or body[:1] in (b"{", b"["):
        try:
            data = json.loads(body or b"{}")
        except (ValueError, UnicodeDecodeError):
            raise ValidationError({"body": [_("The body is not valid JSON.")]}) from None
        if not isinstance(data, dict):
            raise ValidationError({"body": [_("The body must be a JSON object.")]})
        fields.update(data)
    elif body:
        try:
            fields.update(parse_qsl(body.decode(), keep_blank_values=True))
        except UnicodeDecodeError:
            raise ValidationError({"body": [_("The body is not valid UTF-8.")]}) from None
    return fields


def _read(fields: dict, path: str):
    value = fields
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _text(value, limit: int) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        raise ValidationError(_("Expected a text value."))
    return str(value).strip()[:limit]


def mapping_for(connection) -> dict:
    preset = PRESETS.get(connection.provider, PRESETS["generic"])
    overrides = connection.field_map if isinstance(connection.field_map, dict) else {}
    return {**preset, **overrides}


def read_event(connection, fields: dict) -> CallEvent:
    """The call event in ``fields``, mapped by the connection's provider and field map; a
    ValidationError naming Kesher's fields for anything missing or malformed (HTTP 400)."""
    mapping = mapping_for(connection)
    errors: dict[str, list] = {}

    def get(name: str, limit: int = 200) -> str:
        source = mapping.get(name)
        if not source:
            return ""
        try:
            return _text(_read(fields, source), limit)
        except ValidationError as error:
            errors[name] = error.messages
            return ""

    call_id = get("call_id")
    if not call_id:
        errors["call_id"] = [_("The call id is missing.")]
    raw_event = get("event") or mapping.get("default_event", "")
    hangup = mapping.get("hangup_field")
    if hangup and str(fields.get(hangup, "")).lower() in ("yes", "true", "1"):
        raw_event = "ended"
    event = mapping.get("events", {}).get(raw_event.lower(), "")
    if event not in EVENTS:
        errors["event"] = [_("The event must be ringing, answered or ended.")]
    raw_direction = get("direction").lower() or "in"
    direction = mapping.get("directions", {}).get(raw_direction, "")
    if direction not in ("in", "out"):
        errors["direction"] = [_("The direction must be in or out.")]
    duration_text = get("duration")
    duration = None
    if duration_text:
        try:
            duration = int(float(duration_text))
        except ValueError:
            duration = -1
        if duration < 0 or duration > 7 * 24 * 3600:
            errors["duration"] = [_("The duration must be a number of seconds.")]
    recording = get("recording_url", 1000)
    if recording and not recording.lower().startswith(("https://", "http://")):
        errors["recording_url"] = [_("The recording link must be an http(s) address.")]
    caller, callee = get("from", 40), get("to", 40)
    if errors:
        raise ValidationError(errors)
    return CallEvent(
        call_id=call_id,
        event=event,
        caller=caller,
        callee=callee,
        extension=get("extension", 32),
        direction=direction,
        duration=duration,
        recording_url=recording,
        id_number=get("id_number", 20),
    )

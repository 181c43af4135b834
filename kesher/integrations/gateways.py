"""SMS and WhatsApp gateways (REQ IN-3): ``KESHER_SMS_BACKEND`` names a class with one method,
``send(message) -> str``, which delivers one text message or raises ``GatewayError``.

Two ship with Kesher: ``LoggingBackend`` (the default: writes the message to the log) and
``HttpBackend`` (POSTs JSON or a form to ``KESHER_SMS_HTTP_URL`` with a token header; a
WhatsApp template message carries its ``template`` name, decision 0124), which
fits most Israeli SMS providers' HTTP interfaces; a provider with its own API gets a class of
its own with the same method (decision 0034).

Incoming texts (decision 0094): ``receive(channel, body=, headers=, query=, content_type=)``
checks that a webhook request is the gateway's and reads the text it carries into an
``InboundText``, or raises ``Refused`` (not the gateway's: 403) or ``ValidationError`` (no
text: 400). The base class ``Gateway`` reads Kesher's generic form — ``from``, ``body`` (or
``text``) and ``id`` (the provider's message id), JSON or form fields — authenticated by
``KESHER_SMS_INBOUND_SECRET``: an ``X-Kesher-Signature: sha256=<hex HMAC-SHA256 of
"<X-Kesher-Timestamp>." + body>`` no more than five minutes old (``hmac``, the default), or
the secret itself in ``X-Kesher-Secret`` or ``?secret=`` (``secret``, for providers that can
only add a fixed value). A provider whose webhook names its fields otherwise overrides
``read_inbound``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

__all__ = [
    "CHANNELS",
    "Gateway",
    "GatewayError",
    "HttpBackend",
    "InboundText",
    "LoggingBackend",
    "Refused",
    "SmsParts",
    "TextMessage",
    "get_backend",
    "inbound_signature",
    "sms_parts",
]

CHANNELS = ("sms", "whatsapp")
SIGNATURE_HEADER = "X-Kesher-Signature"
TIMESTAMP_HEADER = "X-Kesher-Timestamp"
SECRET_HEADER = "X-Kesher-Secret"  # noqa: S105  (a header's name)
MAX_SKEW_SECONDS = 300
BODY_LIMIT = 5_000  # characters of one incoming text kept

logger = logging.getLogger("kesher.integrations.sms")


class GatewayError(Exception):
    """The gateway did not take the message; the text says why (kept as the message's error)."""


@dataclass(frozen=True)
class TextMessage:
    """What a gateway sends: the channel ("sms" / "whatsapp"), an E.164 number and the text;
    ``reference`` is Kesher's message id, for the provider's delivery reports."""

    channel: str
    to: str
    body: str
    reference: str
    # WhatsApp: the approved message template the body was written from (its name), which is
    # all WhatsApp lets a business send outside the 24 hours after the customer's last
    # message; empty for a free-form message (decision 0124).
    template: str = ""


# GSM 03.38: the characters an SMS carries 160 to a part (7 bits each); the extension table's
# take two. Any other character (Hebrew among them) makes the whole message UCS-2: 70 a part.
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = frozenset("^{}\\[~]|€\f")


@dataclass(frozen=True)
class SmsParts:
    """How an SMS of some text is sent: its alphabet ("gsm" or "ucs2"), its length in that
    alphabet's units, and the parts (segments) it takes."""

    encoding: str
    length: int
    parts: int
    per_part: int


def sms_parts(text: str) -> SmsParts:
    """The parts an SMS of ``text`` takes: one up to 160 GSM characters (70 UCS-2 ones), then
    153 (67) each, as a multi-part SMS's header takes the rest."""
    if all(c in GSM_BASIC or c in GSM_EXTENSION for c in text):
        length = sum(2 if c in GSM_EXTENSION else 1 for c in text)
        single, multi, encoding = 160, 153, "gsm"
    else:
        # UTF-16 code units: a character beyond the basic plane (an emoji) takes two.
        length = len(text.encode("utf-16-le")) // 2
        single, multi, encoding = 70, 67, "ucs2"
    if length == 0:
        return SmsParts(encoding, 0, 0, single)
    if length <= single:
        return SmsParts(encoding, length, 1, single)
    return SmsParts(encoding, length, -(-length // multi), multi)


class Refused(Exception):
    """The request is not the gateway's (unsigned, forged or stale): HTTP 403."""


@dataclass(frozen=True)
class InboundText:
    """A text a customer sent: the channel, his number as the gateway gives it, the text and
    the provider's id of the message (one text is received once)."""

    channel: str
    sender: str
    body: str
    reference: str


def inbound_signature(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Kesher-Signature`` value of a webhook ``body`` sent at ``timestamp``."""
    message = timestamp.encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


class Gateway:
    """What every gateway shares: receiving texts in Kesher's generic webhook form."""

    def check_inbound(self, *, headers, query, body: bytes, now: float | None = None) -> None:
        """Refuse a request ``KESHER_SMS_INBOUND_SECRET`` does not vouch for."""
        secret = settings.KESHER_SMS_INBOUND_SECRET
        refused = Refused(_("The request is not signed by the text-message gateway."))
        if not secret:
            raise refused
        if settings.KESHER_SMS_INBOUND_AUTH == "secret":
            given = headers.get(SECRET_HEADER) or query.get("secret") or ""
            if not given or not hmac.compare_digest(given.encode(), secret.encode()):
                raise refused
            return
        timestamp = headers.get(TIMESTAMP_HEADER, "")
        signature = headers.get(SIGNATURE_HEADER, "")
        if not timestamp or not signature:
            raise refused
        if not hmac.compare_digest(inbound_signature(secret, timestamp, body), signature):
            raise refused
        try:
            sent = float(timestamp)
        except ValueError:
            raise refused from None
        if abs((time.time() if now is None else now) - sent) > MAX_SKEW_SECONDS:
            raise Refused(_("The request is too old, or its clock is wrong."))

    def inbound_fields(self, body: bytes, content_type: str) -> dict:
        """The request's fields: a JSON object or form fields."""
        try:
            if content_type.startswith("application/json"):
                fields = json.loads(body.decode("utf-8") or "{}")
            else:
                fields = dict(urllib.parse.parse_qsl(body.decode("utf-8")))
        except (UnicodeDecodeError, json.JSONDecodeError):
            fields = None
        if not isinstance(fields, dict):
            raise ValidationError(_("The request carries no text message."))
        return fields

    def read_inbound(self, channel: str, fields: dict) -> InboundText:
        """Kesher's generic fields: ``from``, ``body`` (or ``text``), ``id``."""
        sender = str(fields.get("from") or "").strip()
        text = str(fields.get("body") or fields.get("text") or "").strip()
        reference = str(fields.get("id") or fields.get("message_id") or "").strip()
        errors = {}
        if not sender:
            errors["from"] = _("The sender's number is missing.")
        if not text:
            errors["body"] = _("The text is empty.")
        if not reference or len(reference) > 200:
            errors["id"] = _("The message id is missing or longer than 200 characters.")
        if errors:
            raise ValidationError(errors)
        return InboundText(channel, sender[:40], text[:BODY_LIMIT], reference)

    def receive(self, channel: str, *, body: bytes, headers, query, content_type: str):
        """The text a webhook request carries, once the request is checked to be the
        gateway's."""
        self.check_inbound(headers=headers, query=query, body=body)
        return self.read_inbound(channel, self.inbound_fields(body, content_type or ""))


class LoggingBackend(Gateway):
    """Writes each message to the ``kesher.integrations.sms`` log and reports it sent."""

    def send(self, message: TextMessage) -> str:
        logger.info(
            "%s to %s (%s)%s: %s",
            message.channel,
            message.to,
            message.reference,
            f" template {message.template}" if message.template else "",
            message.body,
        )
        return "logged"


class HttpBackend(Gateway):
    """POSTs the message to ``KESHER_SMS_HTTP_URL`` as JSON (or a form, with
    ``KESHER_SMS_HTTP_FORMAT=form``), with ``KESHER_SMS_HTTP_TOKEN`` in the
    ``KESHER_SMS_HTTP_TOKEN_HEADER`` header; any 2xx answer is success."""

    def __init__(self):
        self.url = settings.KESHER_SMS_HTTP_URL
        self.token = settings.KESHER_SMS_HTTP_TOKEN
        self.header = settings.KESHER_SMS_HTTP_TOKEN_HEADER
        self.form = settings.KESHER_SMS_HTTP_FORMAT == "form"
        self.timeout = settings.KESHER_SMS_HTTP_TIMEOUT

    def send(self, message: TextMessage) -> str:
        if not self.url:
            raise GatewayError("KESHER_SMS_HTTP_URL is not set")
        fields = {
            "channel": message.channel,
            "to": message.to,
            "body": message.body,
            "reference": message.reference,
        }
        if message.template:
            fields["template"] = message.template
        if self.form:
            data = urllib.parse.urlencode(fields).encode()
            content_type = "application/x-www-form-urlencoded"
        else:
            data = json.dumps(fields, ensure_ascii=False).encode()
            content_type = "application/json; charset=utf-8"
        headers = {"Content-Type": content_type, "User-Agent": "Kesher"}
        if self.token:
            headers[self.header] = self.token
        request = urllib.request.Request(self.url, data=data, headers=headers, method="POST")  # noqa: S310  (an admin's http(s) URL)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return f"HTTP {response.status}"
        except urllib.error.HTTPError as error:
            raise GatewayError(f"HTTP {error.code}: {error.reason}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            raise GatewayError(str(getattr(error, "reason", error))) from None


def get_backend():
    """An instance of the configured gateway class."""
    return import_string(settings.KESHER_SMS_BACKEND)()

"""SMS and WhatsApp gateways (REQ IN-3): ``KESHER_SMS_BACKEND`` names a class with one method,
``send(message) -> str``, which delivers one text message or raises ``GatewayError``.

Two ship with Kesher: ``LoggingBackend`` (the default: writes the message to the log) and
``HttpBackend`` (POSTs JSON or a form to ``KESHER_SMS_HTTP_URL`` with a token header), which
fits most Israeli SMS providers' HTTP interfaces; a provider with its own API gets a class of
its own with the same method (decision 0034).
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

__all__ = ["GatewayError", "HttpBackend", "LoggingBackend", "TextMessage", "get_backend"]

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


class LoggingBackend:
    """Writes each message to the ``kesher.integrations.sms`` log and reports it sent."""

    def send(self, message: TextMessage) -> str:
        logger.info(
            "%s to %s (%s): %s", message.channel, message.to, message.reference, message.body
        )
        return "logged"


class HttpBackend:
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

"""The Tax Authority's invoice-approval API: requesting an allocation number (ISRAEL.md).

The software house's OAuth2 credentials, the business's long-lived refresh token, the
endpoints and the software registration number are settings (``KESHER_TAX_AUTHORITY_*``,
from the environment). ``request_approval`` posts one invoice with an idempotency key — the
same on every retry — and answers approved (with the number, stored as text), refused (with
the reason) or unavailable (an outage or a time-out: try again later). It never raises for
network trouble. The practice environment never calls the real API: ``backend()`` answers
with the local stand-in, which approves with numbers marked as practice.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from django.conf import settings

from kesher.practice.outgoing import outgoing_suppressed

__all__ = ["Answer", "HttpTaxAuthority", "PracticeTaxAuthority", "backend"]

ERROR_LIMIT = 300


@dataclass(frozen=True)
class Answer:
    """approved: the number; refused: the reason; neither: unavailable (``error``)."""

    approved: bool = False
    refused: bool = False
    number: str = ""
    reason: str = ""
    error: str = ""


class HttpTaxAuthority:
    """The real API (or any server speaking it, such as the tests' local fake)."""

    def __init__(self, config: dict):
        self.config = config

    def _post(self, url: str, body: bytes, headers: dict) -> tuple[int, dict]:
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310  (the configured https endpoint)
        timeout = float(self.config.get("TIMEOUT", 15))
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310
                return answer.status, json.loads(answer.read() or b"{}")
        except urllib.error.HTTPError as error:
            text = error.read(ERROR_LIMIT).decode("utf-8", "replace")
            try:
                return error.code, json.loads(text)
            except ValueError:
                return error.code, {"message": text}

    def _token(self) -> str:
        body = urllib.parse.urlencode(
            {
                "grant_type": "refresh_token",
                "refresh_token": self.config.get("REFRESH_TOKEN", ""),
                "client_id": self.config.get("CLIENT_ID", ""),
                "client_secret": self.config.get("CLIENT_SECRET", ""),
            }
        ).encode()
        status, data = self._post(
            self.config["TOKEN_URL"], body, {"Content-Type": "application/x-www-form-urlencoded"}
        )
        if status != 200 or not data.get("access_token"):
            raise ConnectionError(f"token refused: HTTP {status}")
        return data["access_token"]

    def request_approval(self, payload: dict, *, idempotency_key: str) -> Answer:
        if not self.config.get("APPROVAL_URL") or not self.config.get("TOKEN_URL"):
            return Answer(error="not configured: KESHER_TAX_AUTHORITY_APPROVAL_URL, _TOKEN_URL")
        try:
            token = self._token()
            status, data = self._post(
                self.config["APPROVAL_URL"],
                json.dumps(payload, ensure_ascii=False).encode(),
                {
                    "Content-Type": "application/json; charset=utf-8",
                    "Authorization": f"Bearer {token}",
                    "Idempotency-Key": idempotency_key,
                },
            )
        except (urllib.error.URLError, TimeoutError, OSError, ConnectionError, ValueError) as error:
            reason = getattr(error, "reason", error)
            return Answer(error=f"unavailable: {reason}"[:ERROR_LIMIT])
        if status == 200 and data.get("Status") == 200 and data.get("Confirmation_Number"):
            return Answer(approved=True, number=str(data["Confirmation_Number"]))
        if 400 <= status < 500 or (status == 200 and data.get("Status") not in (None, 200)):
            reason = data.get("Message") or data.get("message") or f"HTTP {status}"
            return Answer(refused=True, reason=str(reason)[:ERROR_LIMIT])
        return Answer(error=f"HTTP {status}"[:ERROR_LIMIT])


class PracticeTaxAuthority:
    """The practice environment's stand-in: approves every request locally, with a number
    that says it is not real, and sends nothing out."""

    def request_approval(self, payload: dict, *, idempotency_key: str) -> Answer:
        return Answer(approved=True, number=f"PRACTICE-{idempotency_key[:8]}")


def backend():
    """The API to call: the local stand-in in the practice environment (or when the settings
    ask for it: ``KESHER_TAX_AUTHORITY_BACKEND=practice``), else the configured endpoint."""
    config = settings.KESHER_TAX_AUTHORITY
    if outgoing_suppressed() or config.get("BACKEND") == "practice":
        return PracticeTaxAuthority()
    return HttpTaxAuthority(config)

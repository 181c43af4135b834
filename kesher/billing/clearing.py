"""Clearing providers for payment links (issue 17 item 3; REQ CU-7; decision 0084).

A provider is a small class with two jobs: ``create_link`` asks the provider for a payment page
of one amount (our request's reference travels with it, so asking again is harmless), and
``read_confirmation`` checks the signature of what the provider posts back and reads it. Providers
register by key (``register_provider``); the business's account — provider key, terminal,
address and secret — is data (``ClearingAccount``). ``generic`` speaks a plain signed-JSON
protocol (the tests' local fake speaks it); a real provider (Tranzila, CardCom, Meshulam…) is one
more class beside it. In the practice environment no provider is called: ``provider_for``
answers with a local stand-in whose links lead nowhere.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Protocol

from django.conf import settings

from kesher.platform import outgoing
from kesher.practice.outgoing import outgoing_suppressed

__all__ = [
    "Confirmation",
    "GenericProvider",
    "Link",
    "PracticeProvider",
    "Provider",
    "provider_for",
    "provider_keys",
    "register_provider",
    "sign",
]

SIGNATURE_HEADER = "X-Kesher-Signature"
# A confirmation older (or newer) than this is a replay, however well signed.
MAX_AGE_SECONDS = 300
ERROR_LIMIT = 300


@dataclass(frozen=True)
class Link:
    """The provider's answer to a payment page request: its address, or an error."""

    url: str = ""
    provider_id: str = ""
    error: str = ""


@dataclass(frozen=True)
class Confirmation:
    """What the provider says happened to one payment page, once its signature held."""

    reference: str  # our PaymentRequest's reference
    event_id: str
    approved: bool
    amount: Decimal
    card_reference: str
    reason: str = ""


class InvalidConfirmation(ValueError):
    """Forged, replayed or unreadable: refused, nothing recorded."""


class Provider(Protocol):
    key: str

    def create_link(self, account, *, reference: str, amount: Decimal, currency: str,
                    description: str) -> Link: ...  # fmt: skip

    def read_confirmation(self, account, body: bytes, headers) -> Confirmation: ...


_providers: dict[str, type] = {}


def register_provider(cls: type) -> type:
    """Make a provider class available to clearing accounts by its ``key``."""
    _providers[cls.key] = cls
    return cls


def provider_keys() -> list[str]:
    return sorted(_providers)


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@register_provider
class GenericProvider:
    """A provider speaking signed JSON: ``POST {api_url}/payments`` with the terminal, amount,
    currency, description and our reference, answered ``{"id", "url"}``; its confirmation is a
    JSON POST ``{"event_id", "reference", "status": "approved"|"declined", "amount",
    "card_reference", "reason", "timestamp"}`` signed with HMAC-SHA256 of the raw body in
    ``X-Kesher-Signature: sha256=<hex>``."""

    key = "generic"

    def create_link(self, account, *, reference, amount, currency, description) -> Link:
        if not account.api_url:
            return Link(error="not configured: the clearing account has no address")
        body = json.dumps(
            {
                "terminal": account.terminal,
                "amount": str(amount),
                "currency": currency,
                "description": description,
                "reference": reference,
            },
            ensure_ascii=False,
        ).encode()
        request = urllib.request.Request(  # noqa: S310  (the administrator's https address)
            account.api_url.rstrip("/") + "/payments",
            data=body,
            headers={
                "Content-Type": "application/json; charset=utf-8",
                SIGNATURE_HEADER: sign(account.secret, body),
                "Idempotency-Key": reference,
            },
            method="POST",
        )
        try:
            timeout = settings.KESHER_WEBHOOK_TIMEOUT
            with outgoing.urlopen(request, timeout=timeout) as answer:
                data = json.loads(answer.read() or b"{}")
        except urllib.error.HTTPError as error:
            return Link(error=f"HTTP {error.code}"[:ERROR_LIMIT])
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as error:
            return Link(error=f"unavailable: {getattr(error, 'reason', error)}"[:ERROR_LIMIT])
        url = str(data.get("url") or "")
        if not url.startswith(("https://", "http://")):
            return Link(error="the provider answered without a link")
        return Link(url=url[:500], provider_id=str(data.get("id") or "")[:100])

    def read_confirmation(self, account, body: bytes, headers) -> Confirmation:
        signature = headers.get(SIGNATURE_HEADER, "")
        if not account.secret or not hmac.compare_digest(sign(account.secret, body), signature):
            raise InvalidConfirmation("bad signature")
        try:
            data = json.loads(body)
            stamp = int(data["timestamp"])
            amount = Decimal(str(data["amount"]))
            event_id = str(data["event_id"])[:100]
            reference = str(data["reference"])
            status = data["status"]
        except (ValueError, KeyError, TypeError, InvalidOperation):
            raise InvalidConfirmation("unreadable") from None
        if abs(time.time() - stamp) > MAX_AGE_SECONDS:
            raise InvalidConfirmation("too old: a replay")
        if status not in ("approved", "declined") or not event_id:
            raise InvalidConfirmation("unreadable")
        return Confirmation(
            reference=reference,
            event_id=event_id,
            approved=status == "approved",
            amount=amount,
            card_reference=str(data.get("card_reference") or "")[:60],
            reason=str(data.get("reason") or "")[:ERROR_LIMIT],
        )


class PracticeProvider:
    """The practice environment's stand-in: calls nobody; its links go nowhere."""

    key = "practice"

    def create_link(self, account, *, reference, amount, currency, description) -> Link:
        return Link(url=f"https://practice.invalid/pay/{reference}", provider_id="practice")

    def read_confirmation(self, account, body: bytes, headers) -> Confirmation:
        raise InvalidConfirmation("the practice environment takes no confirmations")


def provider_for(account) -> Provider:
    """The provider of ``account`` (None when its key is unknown); in the practice
    environment the stand-in, whatever the account says."""
    if outgoing_suppressed():
        return PracticeProvider()
    cls = _providers.get(account.provider)
    return cls() if cls is not None else None

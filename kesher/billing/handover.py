"""Handing an order over to outside invoicing software (issue 17 item 5; decision 0084).

A business that keeps invoicing in software it already uses enables an adapter
(``InvoicingAdapter``, data); "hand the order over" then sends the confirmed order to that
software instead of issuing the invoice in Kesher. Adapters register by kind
(``register_adapter``); ``webhook`` — the generic one — queues one signed JSON POST through the
integrations app's outgoing webhooks (``webhook_enqueue``: signed, retried with back-off,
suppressed in the practice environment), keyed by the order, so an order is handed over at most
once. The software posts its document's number and address back to
``/api/v1/invoicing/{adapter}/documents/``, signed with the same secret; Kesher records them on
the order. An order handed over is not invoiced in Kesher too.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kesher.billing.clearing import SIGNATURE_HEADER, InvalidConfirmation, sign
from kesher.billing.models import ExternalInvoice, InvoicingAdapter, TaxDocument
from kesher.integrations.services import webhook_enqueue
from kesher.platform.models import AuditEntry
from kesher.platform.records.audit import register_fact
from kesher.platform.records.services import clean_text, write_audit
from kesher.quotes.models import Order

__all__ = [
    "active_adapter",
    "adapter_kinds",
    "external_document_record",
    "order_hand_over",
    "order_payload",
    "register_adapter",
]

HANDED_OVER = register_fact("handed_over", gettext_lazy("handed over to invoicing software"))
EVENT = "order.hand_over"

_adapters: dict[str, Callable] = {}


def register_adapter(kind: str, send: Callable) -> None:
    """``send(adapter, order, payload, key)`` hands ``order`` over and returns the outgoing
    delivery (or None)."""
    _adapters[kind] = send


def adapter_kinds() -> list[str]:
    return sorted(_adapters)


def _webhook(adapter: InvoicingAdapter, order: Order, payload: dict, key: str):
    return webhook_enqueue(
        url=adapter.url,
        secret=adapter.secret,
        event=EVENT,
        payload=payload,
        source=f"billing.handover:{adapter.pk}",
        idempotency_key=key,
    )


register_adapter("webhook", _webhook)


def _refuse(message: str, field: str = "__all__"):
    raise ValidationError({field: [message]})


def active_adapter() -> InvoicingAdapter | None:
    return InvoicingAdapter.objects.filter(enabled=True).order_by("id").first()


def order_payload(order: Order, reference: str) -> dict:
    """The order as the invoicing software reads it: customer, lines as priced, totals."""
    account = order.account
    return {
        "reference": reference,
        "order": {
            "id": order.pk,
            "number": order.number,
            "date": order.doc_date.isoformat(),
            "currency": order.currency,
            "exchange_rate": str(order.exchange_rate),
            "net": str(order.net),
            "vat": str(order.vat),
            "total": str(order.total),
        },
        "customer": {
            "id": account.pk,
            "name": account.name,
            "company_number": account.company_number,
            "email": account.email,
            "street": account.street,
            "city": account.city,
        },
        "lines": [
            {
                "position": line.position,
                "sku": line.sku,
                "name": line.name,
                "quantity": str(line.quantity),
                "unit_price": str(line.unit_price),
                "discount": str(line.discount),
                "net": str(line.net),
                "vat_rate": str(line.vat_rate),
                "vat": str(line.vat),
                "total": str(line.total),
            }
            for line in order.lines.filter(optional=False).order_by("position")
        ],
    }


def handed_over(order) -> bool:
    return ExternalInvoice.objects.filter(order=order).exists()


@transaction.atomic
def order_hand_over(order: Order, *, actor) -> ExternalInvoice:
    """Hand a confirmed order over to the enabled invoicing software, at most once: asked
    again, the first hand-over is returned and nothing is sent again."""
    locked = Order._base_manager.select_for_update().get(pk=order.pk)
    existing = ExternalInvoice.objects.filter(order=locked).first()
    if existing is not None:
        return existing
    adapter = active_adapter()
    if adapter is None:
        _refuse(_("No invoicing software is enabled."))
    if locked.status != Order.Status.CONFIRMED:
        _refuse(_("Only a confirmed order is handed over."))
    invoiced = TaxDocument._base_manager.filter(
        order=locked, kind__in=("tax_invoice", "tax_invoice_receipt")
    ).exists()
    if invoiced:
        _refuse(_("This order is invoiced in Kesher already."))
    send = _adapters.get(adapter.kind)
    if send is None:
        _refuse(_("The invoicing software names an unknown adapter."))
    try:
        with transaction.atomic():
            handover = ExternalInvoice.objects.create(
                order=locked, adapter=adapter, handed_by=actor
            )
    except IntegrityError:
        return ExternalInvoice.objects.get(order=locked)
    key = f"billing:hand-over:{locked.pk}"
    handover.delivery = send(adapter, locked, order_payload(locked, str(handover.reference)), key)
    handover.save(update_fields=["delivery"])
    write_audit(
        locked,
        actor=actor,
        action=AuditEntry.Action.UPDATE,
        changes={HANDED_OVER: [None, adapter.name]},
    )
    return handover


def external_document_record(adapter: InvoicingAdapter, body: bytes, headers) -> ExternalInvoice:
    """Record the number and address of the document the software made, posted back signed:
    ``{"reference", "number", "url"}``. A forged or unreadable call raises
    ``InvalidConfirmation`` (nothing written); the same document again changes nothing; another
    number for an order already recorded is refused."""
    signature = headers.get(SIGNATURE_HEADER, "")
    if not adapter.secret or not hmac.compare_digest(sign(adapter.secret, body), signature):
        raise InvalidConfirmation("bad signature")
    try:
        data = json.loads(body)
        reference = str(data["reference"])
        number = " ".join(clean_text(str(data["number"])).split())[:60]
        url = clean_text(str(data.get("url") or ""))[:500]
    except (ValueError, KeyError, TypeError):
        raise InvalidConfirmation("unreadable") from None
    if not number:
        raise InvalidConfirmation("no number")
    if url:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            raise InvalidConfirmation("not an address") from None
    with transaction.atomic():
        handover = (
            ExternalInvoice.objects.select_for_update()
            .filter(reference=_uuid(reference), adapter=adapter)
            .first()
        )
        if handover is None:
            raise InvalidConfirmation("no such order")
        if handover.number:
            if (handover.number, handover.url) == (number, url):
                return handover
            raise InvalidConfirmation("recorded already")
        handover.number, handover.url = number, url
        handover.recorded_at = timezone.now()
        handover.save(update_fields=["number", "url", "recorded_at"])
        write_audit(
            handover.order,
            actor=None,
            action=AuditEntry.Action.UPDATE,
            changes={HANDED_OVER: [adapter.name, f"{number} {url}".strip()]},
        )
        return handover


def _uuid(text: str):
    import uuid

    try:
        return uuid.UUID(text)
    except ValueError:
        raise InvalidConfirmation("no such order") from None

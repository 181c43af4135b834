"""Payment links (issue 17 item 3; REQ CU-7; decision 0084).

``payment_link_send`` makes a payment request for an issued invoice's open balance — one per
invoice and amount, so asking again gives the same request and the same e-mail — asks the
clearing provider for its page after the request is committed (the provider is never called
inside a transaction that holds the invoice's lock), and queues the e-mail with the link through
the outbox (suppressed in the practice environment, where no provider is called either).

``payment_confirm`` takes what the provider posts back: the signature and the age are checked
by the provider class (forged or replayed: refused, nothing written), each event is recorded
once (a repeat answers as the first did), and an approved payment becomes a receipt against
the invoice through ``services.receipt_for`` — the same path, limits and lock as a payment
typed in by a bookkeeper.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kesher.billing import services
from kesher.billing.clearing import InvalidConfirmation, provider_for
from kesher.billing.models import (
    INVOICES,
    ClearingAccount,
    Payment,
    PaymentConfirmation,
    PaymentRequest,
    TaxDocument,
)
from kesher.billing.services import PaymentInput
from kesher.integrations.services import send_email_message
from kesher.platform.models import AuditEntry
from kesher.platform.records.audit import register_fact
from kesher.platform.records.services import write_audit
from kesher.quotes.documents import document_language
from kesher.quotes.templatetags.quotes import doc_money

__all__ = ["InvalidConfirmation", "payment_confirm", "payment_link_send", "recipient_of"]

logger = logging.getLogger("kesher.billing")
PAYMENT_LINK = register_fact("payment_link", gettext_lazy("payment link"))


def _refuse(message: str, field: str = "__all__"):
    raise ValidationError({field: [message]})


def recipient_of(invoice: TaxDocument) -> str:
    """Where the link goes: the invoice's contact, else the customer's own address."""
    contact = invoice.contact
    return (contact.email if contact is not None and contact.email else "") or (
        invoice.account.email or ""
    )


def _clearing_account() -> ClearingAccount:
    account = ClearingAccount.objects.filter(active=True).order_by("id").first()
    if account is None:
        _refuse(_("No clearing account is set up: an administrator adds one first."))
    return account


@transaction.atomic
def _request_for(invoice: TaxDocument) -> PaymentRequest:
    from kesher.billing.selectors import invoice_unpaid

    locked = TaxDocument._base_manager.select_for_update().get(pk=invoice.pk)
    if locked.kind not in INVOICES or locked.status != TaxDocument.Status.ISSUED:
        _refuse(_("A payment link is sent for an issued tax invoice."))
    balance = invoice_unpaid(locked)
    if balance <= 0:
        _refuse(_("This invoice is paid."))
    if not recipient_of(locked):
        _refuse(_("Neither the invoice's contact nor the customer has an e-mail address."))
    clearing = _clearing_account()
    existing = PaymentRequest.objects.filter(invoice=locked, amount=balance).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return PaymentRequest.objects.create(invoice=locked, amount=balance, clearing=clearing)
    except IntegrityError:
        return PaymentRequest.objects.get(invoice=locked, amount=balance)


def _email(request: PaymentRequest, invoice: TaxDocument):
    language = document_language(invoice, None)
    with translation.override(language):
        amount = doc_money(request.amount, invoice.currency)
        subject = _("Payment link for %(document)s") % {"document": invoice}
        body = '<p>{}</p><p><a href="{}">{}</a></p>'.format(
            escape(
                _("The open balance of %(document)s is %(amount)s. Pay it by card here:")
                % {"document": invoice, "amount": amount}
            ),
            escape(request.url),
            escape(_("Pay %(amount)s") % {"amount": amount}),
        )
    return send_email_message(
        to=[recipient_of(invoice)],
        subject=subject,
        body_html=body,
        language=language,
        record=invoice,
        source="billing.payment_link",
        idempotency_key=f"billing:payment-link:{request.reference}",
    )


def payment_link_send(invoice: TaxDocument, *, actor) -> PaymentRequest:
    """A payment link for the open balance of ``invoice``, e-mailed to the customer. The same
    invoice and balance again gives the same request, link and message (nothing sent twice)."""
    request = _request_for(invoice)
    if request.status != PaymentRequest.Status.NEW:
        return request
    clearing = request.clearing
    provider = provider_for(clearing)
    if provider is None:
        _refuse(_("The clearing account names an unknown provider."))
    link = provider.create_link(
        clearing,
        reference=str(request.reference),
        amount=request.amount,
        currency=invoice.currency,
        description=str(invoice),
    )
    with transaction.atomic():
        locked = PaymentRequest.objects.select_for_update().get(pk=request.pk)
        if locked.status != PaymentRequest.Status.NEW:
            return locked
        if link.error:
            locked.last_error = link.error
            locked.save(update_fields=["last_error", "updated_at"])
        else:
            locked.url, locked.provider_id = link.url, link.provider_id
            locked.status = PaymentRequest.Status.SENT
            locked.last_error = ""
            locked.message = _email(locked, invoice)
            locked.save()
            write_audit(
                invoice,
                actor=actor,
                action=AuditEntry.Action.UPDATE,
                changes={PAYMENT_LINK: [None, f"{locked.amount} {locked.url}"]},
            )
            return locked
    logger.warning("payment link %s: %s", request.pk, link.error)
    _refuse(_("The clearing provider did not answer; try again in a while."))
    raise AssertionError  # unreachable: _refuse raises


def payment_confirm(clearing: ClearingAccount, body: bytes, headers) -> PaymentRequest:
    """Record the provider's confirmation posted to us: raises ``InvalidConfirmation`` for a
    forged, replayed or unreadable one (nothing written); a repeated event is recorded once."""
    provider = provider_for(clearing)
    if provider is None:
        raise InvalidConfirmation("unknown provider")
    confirmation = provider.read_confirmation(clearing, body, headers)
    request = PaymentRequest.objects.filter(
        reference=_uuid(confirmation.reference), clearing=clearing
    ).first()
    if request is None:
        raise InvalidConfirmation("no such payment request")
    with transaction.atomic():
        locked = PaymentRequest.objects.select_for_update().get(pk=request.pk)
        seen = PaymentConfirmation.objects.filter(
            request=locked, event_id=confirmation.event_id
        ).exists()
        if seen:
            return locked
        PaymentConfirmation.objects.create(
            request=locked,
            event_id=confirmation.event_id,
            approved=confirmation.approved,
            body={"amount": str(confirmation.amount), "reason": confirmation.reason},
        )
        if locked.status in (PaymentRequest.Status.PAID, PaymentRequest.Status.FAILED):
            return locked  # paid already: another event of the same payment settles nothing
        if not confirmation.approved:
            locked.status = PaymentRequest.Status.DECLINED
            locked.last_error = confirmation.reason or "declined"
            locked.save(update_fields=["status", "last_error", "updated_at"])
            return locked
        if confirmation.amount != locked.amount:
            raise InvalidConfirmation("the amount is not the link's")
        invoice = locked.invoice
        payment = PaymentInput(
            method=Payment.Method.CREDIT_CARD,
            amount=locked.amount,
            reference=(confirmation.card_reference or locked.provider_id or "link")[:60],
        )
        try:
            with transaction.atomic():
                receipt = services.receipt_for(invoice, actor=None, payments=[payment])
        except ValidationError as error:
            # Paid at the provider but more than the balance now (paid meanwhile): kept for a
            # person to refund or settle, never lost and never recorded twice.
            locked.status = PaymentRequest.Status.FAILED
            locked.last_error = "; ".join(error.messages)[:300]
            locked.save(update_fields=["status", "last_error", "updated_at"])
            return locked
        locked.status = PaymentRequest.Status.PAID
        locked.receipt = receipt
        locked.last_error = ""
        locked.save(update_fields=["status", "receipt", "last_error", "updated_at"])
        return locked


def _uuid(text: str):
    import uuid

    try:
        return uuid.UUID(str(text))
    except ValueError:
        raise InvalidConfirmation("no such payment request") from None


def open_request_amount(invoice: TaxDocument) -> Decimal | None:
    """The amount of the invoice's last link still waiting to be paid (None: none)."""
    row = (
        PaymentRequest.objects.filter(invoice=invoice, status=PaymentRequest.Status.SENT)
        .order_by("-created_at")
        .values_list("amount", flat=True)
        .first()
    )
    return row

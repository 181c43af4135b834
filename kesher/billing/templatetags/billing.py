"""The billing panels' helpers: a document's lines, payments and balance, and a customer's
balance and payment behaviour on his page (REQ CU-7, CU-8)."""

from __future__ import annotations

from django import template
from django.db.models import Q
from django.utils import timezone

from kesher.billing.models import Payment, PaymentRequest, PaymentTerms, TaxDocument
from kesher.billing.selectors import billing_of, can_set_terms, customer_terms, invoice_amounts
from kesher.platform.access import can

register = template.Library()


@register.simple_tag
def document_parts(document: TaxDocument) -> dict:
    """The lines and payments of ``document`` (two queries) and its open balance."""
    balance = held = None
    links: list = []
    if document.is_invoice and not document.is_draft:
        balance, held = invoice_amounts(document)
        links = list(PaymentRequest.objects.filter(invoice=document).order_by("-created_at")[:10])
    overdue = bool(
        balance and balance > 0 and document.due_date and document.due_date < timezone.localdate()
    )
    today = timezone.localdate()
    payments = list(document.payments.select_related("returned"))
    for payment in payments:
        payment.returned_row = getattr(payment, "returned", None)
        payment.is_held = (
            payment.method == Payment.Method.CHEQUE
            and payment.paid_on > today
            and payment.returned_row is None
        )
    return {
        "lines": list(document.lines.all()),
        "payments": payments,
        "balance": balance,
        "held": held,
        "links": links,
        "overdue": overdue,
    }


@register.simple_tag(takes_context=True)
def account_money(context, account):
    """The customer's billing tile, for readers who may see tax documents: his figures (once
    he was invoiced), his usual payment terms, and the terms to choose from when the reader
    may set them."""
    user = context["request"].user
    if not can(user, "tax-documents", "view"):
        return None
    summary = billing_of(account)
    terms = customer_terms(account)
    choices = None
    if can_set_terms(user, account):
        # The active terms, and his own even if retired since.
        shown = Q(active=True) | Q(pk=terms.pk) if terms else Q(active=True)
        choices = list(PaymentTerms.objects.filter(shown))
    return {"summary": summary if summary.invoiced else None, "terms": terms, "choices": choices}


@register.simple_tag
def order_handover(order) -> dict:
    """Whether outside invoicing software is enabled, and the order's hand-over (decision
    0084): two small queries on the order's page."""
    from kesher.billing.handover import active_adapter
    from kesher.billing.models import ExternalInvoice

    return {
        "adapter": active_adapter(),
        "done": ExternalInvoice.objects.filter(order=order).first(),
    }


@register.simple_tag
def creditable_lines(invoice: TaxDocument) -> list:
    """What is not credited yet of the invoice's lines (each line less its credit notes)."""
    from kesher.billing.services import uncredited_lines

    return uncredited_lines(invoice)

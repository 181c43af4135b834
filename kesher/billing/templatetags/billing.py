"""The billing panels' helpers: a document's lines, payments and balance, and a customer's
balance and payment behaviour on his page (REQ CU-7, CU-8)."""

from __future__ import annotations

from django import template
from django.db.models import Q
from django.utils import timezone

from kesher.billing.models import PaymentTerms, TaxDocument
from kesher.billing.selectors import billing_of, can_set_terms, customer_terms, invoice_balance
from kesher.platform.access import can

register = template.Library()


@register.simple_tag
def document_parts(document: TaxDocument) -> dict:
    """The lines and payments of ``document`` (two queries) and its open balance."""
    balance = None
    if document.is_invoice and not document.is_draft:
        balance = invoice_balance(document)
    overdue = bool(
        balance and balance > 0 and document.due_date and document.due_date < timezone.localdate()
    )
    return {
        "lines": list(document.lines.all()),
        "payments": list(document.payments.all()),
        "balance": balance,
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

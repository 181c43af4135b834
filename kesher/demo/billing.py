"""The demo's tax documents and payments (issue 17): the order a customer accepted became a
delivery note and a tax invoice (its allocation number answered by the practice stand-in, the
demo never calls the Tax Authority), paid in part by cheque; the counter sale was invoiced and
then credited in full. Everything goes through the billing services, as a bookkeeper would."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from kesher.billing.allocation import request_allocations
from kesher.billing.models import DocumentKind, PaymentTerms
from kesher.billing.services import (
    PaymentInput,
    credit_note_for,
    document_from_order,
    document_issue,
    receipt_for,
)
from kesher.billing.taxauthority import PracticeTaxAuthority
from kesher.org.models import User
from kesher.quotes.models import Order

__all__ = ["create_billing"]


def create_billing(users: dict[str, User]) -> None:
    orders = list(Order.objects.filter(status=Order.Status.CONFIRMED).order_by("pk"))
    terms = PaymentTerms.objects.filter(name="שוטף + 30").first()
    today = timezone.localdate()
    for order in orders:
        rep = order.owner or next(iter(users.values()))
        if order.quote_id:
            note = document_from_order(order, actor=rep, kind=DocumentKind.DELIVERY_NOTE)
            document_issue(note, actor=rep)
            invoice = document_from_order(
                order, actor=rep, kind=DocumentKind.TAX_INVOICE, payment_terms=terms
            )
            invoice = document_issue(invoice, actor=rep)
            request_allocations(client=PracticeTaxAuthority())
            cheque = PaymentInput(
                method="cheque",
                amount=(invoice.total / 2).quantize(Decimal("0.01")),
                paid_on=today,
                bank="12",
                branch="600",
                bank_account="458721",
                cheque_number="100234",
            )
            receipt_for(invoice, actor=rep, payments=[cheque])
        else:
            invoice = document_from_order(
                order, actor=rep, kind=DocumentKind.TAX_INVOICE, payment_terms=terms
            )
            invoice = document_issue(invoice, actor=rep)
            credit = credit_note_for(invoice, actor=rep, notes="הלקוח החזיר את הסחורה")
            document_issue(credit, actor=rep)

"""Reads of purchasing, always through ``visible_to(user)`` (decision 0087)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, Sum
from django.utils import timezone

from kesher.purchasing.models import SupplierInvoice, SupplierPayment

__all__ = ["Payables", "payables_of"]

ZERO = Decimal("0")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Payables:
    """What we owe one supplier, in shekels at each invoice's rate: the open balance of his
    recorded invoices, the part past its due date, how many invoices are open, and what his
    recorded credit notes took off them."""

    open_balance: Decimal
    overdue: Decimal
    open_count: int
    overdue_count: int
    credited: Decimal
    open_credit: Decimal

    @property
    def owed(self) -> Decimal:
        """What we owe once his open credit is set against the open balance (below zero: he
        owes us)."""
        return self.open_balance - self.open_credit


def payables_of(account, user) -> Payables | None:
    """The supplier's payables as ``user`` may see them; None when he never invoiced us nor
    was paid (or the reader sees none of it). Two queries: his invoices, his payments."""
    today = timezone.localdate()

    def in_ils(name):
        return ExpressionWrapper(
            F(name) * F("exchange_rate"),
            output_field=DecimalField(max_digits=28, decimal_places=8),
        )

    overdue = Q(due_date__lt=today, balance__gt=0)
    figures = (
        SupplierInvoice.objects.visible_to(user)
        .filter(
            supplier=account,
            status=SupplierInvoice.Status.RECORDED,
            kind=SupplierInvoice.Kind.INVOICE,
        )
        .aggregate(
            invoices=Count("pk"),
            open_balance=Sum(in_ils("balance")),
            overdue=Sum(in_ils("balance"), filter=overdue),
            credited=Sum(in_ils("credited")),
            open_count=Count("pk", filter=Q(balance__gt=0)),
            overdue_count=Count("pk", filter=overdue),
        )
    )
    paid = (
        SupplierPayment.objects.visible_to(user)
        .filter(supplier=account)
        .aggregate(
            payments=Count("pk"),
            open_credit=Sum(
                ExpressionWrapper(
                    (F("amount") + F("withholding") - F("allocated")) * F("exchange_rate"),
                    output_field=DecimalField(max_digits=28, decimal_places=8),
                )
            ),
        )
    )
    if not figures["invoices"] and not paid["payments"]:
        return None
    return Payables(
        open_balance=(figures["open_balance"] or ZERO).quantize(CENT),
        overdue=(figures["overdue"] or ZERO).quantize(CENT),
        open_count=figures["open_count"],
        overdue_count=figures["overdue_count"],
        credited=(figures["credited"] or ZERO).quantize(CENT),
        open_credit=(paid["open_credit"] or ZERO).quantize(CENT),
    )

"""Reading balances and payment behaviour (REQ CU-7, CU-8; decision 0076).

An invoice's open balance is its total less what issued receipts settle against it (their
payments and the tax withheld at source) and less its issued credit notes; an invoice-receipt
is paid as it is issued. Balances are in the invoice's currency; a customer's figures are in
shekels, at each invoice's own rate. Everything is computed by the database in one query:
subqueries per invoice, never a query per invoice.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    Case,
    DecimalField,
    ExpressionWrapper,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from kesher.billing.models import (
    INVOICES,
    CustomerTerms,
    DocumentKind,
    Payment,
    PaymentTerms,
    TaxDocument,
)
from kesher.platform.access import can, scope_queryset

__all__ = [
    "BillingSummary",
    "account_billing",
    "billing_of",
    "can_set_terms",
    "customer_terms",
    "invoice_amounts",
    "invoice_balance",
    "invoice_unpaid",
    "with_balances",
]

ZERO = Decimal("0")
CENT = Decimal("0.01")
MONEY = DecimalField(max_digits=14, decimal_places=2)
ISSUED = TaxDocument.Status.ISSUED


def _followers(kind: str, amount) -> Coalesce:
    rows = (
        TaxDocument._base_manager.filter(based_on=OuterRef("pk"), kind=kind, status=ISSUED)
        .order_by()
        .values("based_on")
        .annotate(amount=Sum(amount))
        .values("amount")
    )
    return Coalesce(Subquery(rows, output_field=MONEY), Value(ZERO), output_field=MONEY)


def _payments(today: datetime.date, *, held: bool, own: bool) -> Coalesce:
    """The sum of payments that count (or, ``held``, of post-dated cheques before their date)
    on the issued receipts of an invoice — ``own``: on the invoice-receipt itself. A cheque
    that bounced counts for nothing (decision 0084)."""
    if own:
        rows = Payment.objects.filter(document=OuterRef("pk"))
        group = "document"
    else:
        rows = Payment.objects.filter(
            document__based_on=OuterRef("pk"),
            document__kind=DocumentKind.RECEIPT,
            document__status=ISSUED,
        )
        group = "document__based_on"
    waiting = Q(method=Payment.Method.CHEQUE, paid_on__gt=today)
    rows = rows.filter(returned__isnull=True)
    rows = rows.filter(waiting) if held else rows.exclude(waiting)
    rows = rows.order_by().values(group).annotate(amount=Sum("amount")).values("amount")
    return Coalesce(Subquery(rows, output_field=MONEY), Value(ZERO), output_field=MONEY)


def with_balances(documents: QuerySet, today: datetime.date | None = None) -> QuerySet:
    """``documents`` (invoices) with ``settled``, ``credited``, ``balance``, ``held`` (post-dated
    cheques received, counted from their date) and ``last_paid_on`` (the last receipt's date).
    A payment counts on ``today`` (default: today) when it is no cheque dated later and did
    not bounce; the tax withheld at source counts from the receipt."""
    today = today or timezone.localdate()
    last_paid = (
        TaxDocument._base_manager.filter(
            based_on=OuterRef("pk"), kind=DocumentKind.RECEIPT, status=ISSUED
        )
        .order_by()
        .values("based_on")
        .annotate(day=Max("doc_date"))
        .values("day")
    )
    is_invoice_receipt = Q(kind=DocumentKind.TAX_INVOICE_RECEIPT)
    paid_at_issue = Case(
        When(is_invoice_receipt, then=F("withholding") + _payments(today, held=False, own=True)),
        default=Value(ZERO),
        output_field=MONEY,
    )
    held_at_issue = Case(
        When(is_invoice_receipt, then=_payments(today, held=True, own=True)),
        default=Value(ZERO),
        output_field=MONEY,
    )
    return documents.annotate(
        settled=ExpressionWrapper(
            _payments(today, held=False, own=False)
            + _followers(DocumentKind.RECEIPT, F("withholding"))
            + paid_at_issue,
            output_field=MONEY,
        ),
        held=ExpressionWrapper(
            _payments(today, held=True, own=False) + held_at_issue, output_field=MONEY
        ),
        credited=_followers(DocumentKind.CREDIT_NOTE, F("total")),
        last_paid_on=Subquery(last_paid),
    ).annotate(
        balance=ExpressionWrapper(F("total") - F("settled") - F("credited"), output_field=MONEY)
    )


def _agorot(value) -> Decimal:
    # SQLite adds decimals as floating point: -0.0100000000000051 is -0.01. Every amount is
    # whole agorot, far inside a double's precision, so rounding to the agora is exact.
    return Decimal(value or 0).quantize(CENT, rounding=ROUND_HALF_UP)


def invoice_balance(invoice: TaxDocument) -> Decimal:
    """What is still owed on ``invoice``, in its currency (a post-dated cheque counts from its
    date)."""
    return invoice_amounts(invoice)[0]


def invoice_amounts(invoice: TaxDocument) -> tuple[Decimal, Decimal]:
    """The open balance of ``invoice`` and the post-dated cheques held against it."""
    row = (
        with_balances(TaxDocument._base_manager.filter(pk=invoice.pk))
        .values("balance", "held")
        .first()
    )
    return (_agorot(row["balance"]), _agorot(row["held"])) if row else (ZERO, ZERO)


def invoice_unpaid(invoice: TaxDocument) -> Decimal:
    """What nothing covers yet: the open balance less the cheques held until their date — the
    most a new payment (or a payment link) may be for."""
    balance, held = invoice_amounts(invoice)
    return balance - held


@dataclass(frozen=True)
class BillingSummary:
    """A customer's money on his 360° view (REQ CU-7, CU-8), in shekels."""

    invoiced: Decimal
    open_balance: Decimal
    overdue: Decimal
    overdue_count: int
    # The due date of the oldest overdue invoice (the alert says since when, REQ CU-8).
    oldest_overdue_due: datetime.date | None
    average_days_to_pay: float | None
    average_terms_days: float | None
    # Post-dated cheques received and held until their date (decision 0084).
    held: Decimal = ZERO

    @property
    def pays_late_by(self) -> float | None:
        """Days paid after the terms on average (negative: early)."""
        if self.average_days_to_pay is None or self.average_terms_days is None:
            return None
        return round(self.average_days_to_pay - self.average_terms_days, 1)


def _shekels(amount: Decimal, rate: Decimal) -> Decimal:
    return (_agorot(amount) * rate).quantize(CENT, rounding=ROUND_HALF_UP)


def account_billing(account, *, today: datetime.date | None = None) -> BillingSummary:
    """The customer's invoiced total, open balance, overdue debt and days to pay against his
    terms — one query over his issued invoices."""
    today = today or timezone.localdate()
    rows = with_balances(
        TaxDocument._base_manager.filter(account=account, kind__in=INVOICES).filter(
            ~Q(status=TaxDocument.Status.DRAFT)
        ),
        today,
    ).values_list(
        "doc_date", "due_date", "total", "exchange_rate", "balance", "last_paid_on", "held"
    )
    invoiced = open_balance = overdue = held_total = ZERO
    overdue_count = 0
    oldest: datetime.date | None = None
    days_to_pay: list[int] = []
    terms: list[int] = []
    for doc_date, due_date, total, rate, balance, last_paid_on, held in rows:
        invoiced += _shekels(total, rate)
        held_total += _shekels(held, rate)
        open_balance += _shekels(balance, rate)
        balance = _agorot(balance)
        if balance > 0 and due_date is not None and due_date < today:
            overdue += _shekels(balance, rate)
            overdue_count += 1
            oldest = due_date if oldest is None else min(oldest, due_date)
        if balance <= 0 and last_paid_on is not None:
            days_to_pay.append((last_paid_on - doc_date).days)
            terms.append(((due_date or doc_date) - doc_date).days)
    return BillingSummary(
        invoiced=invoiced,
        open_balance=open_balance,
        overdue=overdue,
        overdue_count=overdue_count,
        oldest_overdue_due=oldest,
        average_days_to_pay=round(sum(days_to_pay) / len(days_to_pay), 1) if days_to_pay else None,
        average_terms_days=round(sum(terms) / len(terms), 1) if terms else None,
        held=held_total,
    )


def billing_of(account) -> BillingSummary:
    """``account_billing`` once per account object: the page's billing tile and its alerts
    banner read the same figures."""
    cached = getattr(account, "_billing_summary", None)
    if cached is None:
        cached = account._billing_summary = account_billing(account)
    return cached


def customer_terms(account) -> PaymentTerms | None:
    """The customer's usual payment terms (None: none set)."""
    row = CustomerTerms.objects.select_related("terms").filter(account=account).first()
    return row.terms if row is not None else None


def can_set_terms(user, account) -> bool:
    """Whether ``user`` may set the customer's terms: he may change this account (in his
    scope, not only shared with him)."""
    if not can(user, "accounts", "change"):
        return False
    mine = scope_queryset(type(account).objects.filter(pk=account.pk), user, shared=False)
    return mine.exists()

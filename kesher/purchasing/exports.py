"""Supplier documents for the accountant (issue 17 item 5; decisions 0087, 0092): the period's
recorded supplier invoices and credit notes (each row says which) and its supplier payments,
one table, registered with billing's accountant export (``kesher.billing.exports.
register_export``) — the same page, API, formats (CSV with a byte-order mark, XLSX right to
left) and neutralized cells. Only what the reader may see; drafts are not the accountant's."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

from django.utils.translation import gettext_lazy

from kesher.purchasing.models import SupplierInvoice, SupplierPayment

__all__ = ["COLUMNS", "supplier_held", "supplier_rows"]

COLUMNS = (
    gettext_lazy("document type"),
    gettext_lazy("supplier's number"),
    gettext_lazy("date"),
    gettext_lazy("supplier"),
    gettext_lazy("supplier's company number"),
    gettext_lazy("purchase order"),
    gettext_lazy("expense category"),
    gettext_lazy("paid by"),
    gettext_lazy("currency"),
    gettext_lazy("exchange rate"),
    gettext_lazy("before VAT"),
    gettext_lazy("VAT"),
    gettext_lazy("total"),
    gettext_lazy("before VAT (₪)"),
    gettext_lazy("VAT (₪)"),
    gettext_lazy("total (₪)"),
    gettext_lazy("due date"),
    gettext_lazy("cheque number"),
    gettext_lazy("reference"),
    gettext_lazy("tax withheld (₪)"),
)
CHUNK = 2000


def _money(value) -> str:
    return f"{value:.2f}"


def _rate(value) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".")


def _day(value) -> str:
    return value.isoformat() if value else ""


def _invoices(user, start: datetime.date, end: datetime.date):
    return SupplierInvoice.objects.visible_to(user).filter(
        status=SupplierInvoice.Status.RECORDED, doc_date__gte=start, doc_date__lte=end
    )


def _payments(user, start: datetime.date, end: datetime.date):
    return SupplierPayment.objects.visible_to(user).filter(paid_on__gte=start, paid_on__lte=end)


def supplier_held(user, start: datetime.date, end: datetime.date) -> dict:
    """The records the file of ``supplier_rows`` holds, for the access log (issue 25)."""
    return {
        "supplier-invoices": _invoices(user, start, end).order_by().values_list("pk", flat=True),
        "supplier-payments": _payments(user, start, end).order_by().values_list("pk", flat=True),
    }


def supplier_rows(user, start: datetime.date, end: datetime.date) -> Iterator[list]:
    """The header, then the period's recorded supplier invoices by date, then its payments."""
    yield [str(label) for label in COLUMNS]
    invoices = (
        _invoices(user, start, end)
        .select_related("supplier", "purchase_order", "expense_category")
        .order_by("doc_date", "pk")
    )
    for invoice in invoices.iterator(chunk_size=CHUNK):
        yield [
            invoice.get_kind_display(),
            invoice.supplier_number,
            _day(invoice.doc_date),
            invoice.supplier.name,
            invoice.supplier.company_number,
            invoice.purchase_order.number if invoice.purchase_order_id else "",
            invoice.expense_category.label if invoice.expense_category_id else "",
            "",
            invoice.currency,
            _rate(invoice.exchange_rate or 1),
            _money(invoice.net),
            _money(invoice.vat),
            _money(invoice.total),
            _money(invoice.net_ils),
            _money(invoice.vat_ils),
            _money(invoice.total_ils),
            _day(invoice.due_date),
            "",
            "",
            "",
        ]
    payments = (
        _payments(user, start, end)
        .select_related("supplier")
        .prefetch_related("allocations__invoice")
        .order_by("paid_on", "pk")
    )
    kind = str(gettext_lazy("Supplier payment"))
    for payment in payments.iterator(chunk_size=CHUNK):
        yield [
            kind,
            # The invoices it pays (one, or several it is allocated over).
            ", ".join(row.invoice.supplier_number for row in payment.allocations.all()),
            _day(payment.paid_on),
            payment.supplier.name,
            payment.supplier.company_number,
            "",
            "",
            payment.get_means_display(),
            payment.currency,
            _rate(payment.exchange_rate),
            "",
            "",
            _money(payment.amount),
            "",
            "",
            _money(payment.amount_ils),
            "",
            payment.cheque_number,
            payment.reference,
            _money(payment.withholding_ils),
        ]

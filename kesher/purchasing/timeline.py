"""Supplier payments on the timelines of the supplier (an account) and of the invoices they
pay, and his recorded credit notes on his own (issue 17; decision 0092). Read when the
timeline is shown, for its reader: only someone granted supplier payments (or invoices) sees
them, and only those his scope reaches — supplier costs are not a sales rep's, though he may
see the account. The invoice's own history says what a credit note took off it."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from kesher.customers.models import Account
from kesher.platform.access import can
from kesher.platform.records.timeline import TimelineItem, register_source
from kesher.purchasing.models import SupplierInvoice, SupplierPayment
from kesher.quotes.templatetags.quotes import doc_money

LIMIT = 20


def _payment_item(payment: SupplierPayment) -> TimelineItem:
    details = {
        _("Amount"): [None, doc_money(payment.amount, payment.currency)],
        _("Paid by"): [None, payment.get_means_display()],
    }
    if payment.invoice_id:
        details[_("Supplier invoice")] = [None, payment.invoice.supplier_number]
    elif payment.open_credit:
        details[_("Open credit with the supplier")] = [
            None,
            doc_money(payment.open_credit, payment.currency),
        ]
    mark = payment.cheque_number or payment.reference
    if mark:
        details[_("Reference")] = [None, mark]
    return TimelineItem(
        at=payment.created_at,
        actor=payment.owner,
        title=_("Supplier payment"),
        action="payment",
        changes=details,
        url=reverse("entity_detail", args=["supplier-payments", payment.pk]),
    )


@register_source
def supplier_credit_notes_of(record, user) -> list[TimelineItem]:
    """The supplier's latest recorded credit notes."""
    if not isinstance(record, Account) or not can(user, "supplier-invoices", "view"):
        return []
    notes = (
        SupplierInvoice.objects.visible_to(user)
        .filter(
            supplier=record,
            kind=SupplierInvoice.Kind.CREDIT_NOTE,
            status=SupplierInvoice.Status.RECORDED,
        )
        .select_related("owner", "credited_invoice")
        .order_by("-recorded_at", "-id")[:LIMIT]
    )
    return [
        TimelineItem(
            at=note.recorded_at,
            actor=note.owner,
            title=str(note),
            action="credit_note",
            changes={
                _("Amount"): [None, doc_money(note.total, note.currency)],
                _("Supplier invoice"): [None, note.credited_invoice.supplier_number],
            },
            url=reverse("entity_detail", args=["supplier-invoices", note.pk]),
        )
        for note in notes
    ]


@register_source
def supplier_payments_of(record, user) -> list[TimelineItem]:
    """The latest payments to the supplier, or of the supplier invoice."""
    if isinstance(record, Account):
        where = {"supplier": record}
    elif isinstance(record, SupplierInvoice):
        where = {"allocations__invoice": record}
    else:
        return []
    if not can(user, "supplier-payments", "view"):
        return []
    payments = (
        SupplierPayment.objects.visible_to(user)
        .filter(**where)
        .distinct()
        .select_related("owner", "invoice")
        .order_by("-created_at", "-id")[:LIMIT]
    )
    return [_payment_item(payment) for payment in payments]

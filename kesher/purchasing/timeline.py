"""Supplier payments on the timelines of the supplier (an account) and of the invoices they
pay (issue 17; decision 0092). Read when the timeline is shown, for its reader: only someone
granted supplier payments sees them, and only those his scope reaches — supplier costs are
not a sales rep's, though he may see the account."""

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
def supplier_payments_of(record, user) -> list[TimelineItem]:
    """The latest payments to the supplier, or of the supplier invoice."""
    if isinstance(record, Account):
        where = {"supplier": record}
    elif isinstance(record, SupplierInvoice):
        where = {"invoice": record}
    else:
        return []
    if not can(user, "supplier-payments", "view"):
        return []
    payments = (
        SupplierPayment.objects.visible_to(user)
        .filter(**where)
        .select_related("owner", "invoice")
        .order_by("-created_at", "-id")[:LIMIT]
    )
    return [_payment_item(payment) for payment in payments]

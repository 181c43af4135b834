"""Cheques after the receipt (issue 17 item 3; REQ CU-7; decision 0084).

A post-dated cheque (שיק דחוי) is recorded on the receipt like any payment; the balances
(``selectors.with_balances``) count it only from its date and show it as held until then.
A cheque that bounced (שיק חוזר) is marked here: the issued receipt stays as it was — it is
locked and the law keeps it — and a ``ChequeReturn`` row takes the payment out of what the
invoice's receipts settle, so the balance is owed again. The receipt's and the invoice's
histories record who marked it, when and why.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kesher.billing.models import WITH_PAYMENTS, ChequeReturn, Payment, TaxDocument
from kesher.platform.models import AuditEntry
from kesher.platform.records.audit import register_fact
from kesher.platform.records.services import clean_text, write_audit

__all__ = ["cheque_return"]

RETURNED = register_fact("cheque_returned", gettext_lazy("returned cheque"))


def _refuse(message: str, field: str = "__all__"):
    raise ValidationError({field: [message]})


@transaction.atomic
def cheque_return(
    payment: Payment, *, actor, reason: str, returned_on: datetime.date | None = None
) -> ChequeReturn:
    """Mark the cheque ``payment`` as returned by the bank: its amount is owed again on the
    invoice; the receipt is not changed."""
    document = TaxDocument._base_manager.select_for_update().get(pk=payment.document_id)
    if document.kind not in WITH_PAYMENTS or document.status != TaxDocument.Status.ISSUED:
        _refuse(_("Only a cheque on an issued receipt is marked returned."))
    if payment.method != Payment.Method.CHEQUE:
        _refuse(_("Only a cheque is returned by the bank."))
    reason = " ".join(clean_text(reason or "").split())[:200]
    if not reason:
        _refuse(_("Say why the cheque was returned."), "reason")
    returned_on = returned_on or timezone.localdate()
    if ChequeReturn.objects.filter(payment=payment).exists():
        _refuse(_("This cheque is marked returned already."))
    row = ChequeReturn.objects.create(
        payment=payment, returned_on=returned_on, reason=reason, marked_by=actor
    )
    what = _("Cheque %(number)s of %(amount)s returned on %(day)s: %(reason)s") % {
        "number": payment.cheque_number,
        "amount": f"{payment.amount:,.2f}",
        "day": f"{returned_on:%d/%m/%Y}",
        "reason": reason,
    }
    invoice = document.based_on if document.based_on_id else document
    now = timezone.now()
    for touched in {document, invoice}:
        write_audit(
            touched, actor=actor, action=AuditEntry.Action.UPDATE, changes={RETURNED: [None, what]}
        )
    # The invoice owes again: the "invoice overdue" trigger reads the change time.
    TaxDocument._base_manager.filter(pk=invoice.pk).update(updated_at=now)
    return row

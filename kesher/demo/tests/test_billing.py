"""The demo's tax documents (issue 17): an issued invoice with its allocation number from the
practice stand-in, paid in part by cheque, a delivery note, and an invoice credited in full."""

import pytest

from kesher.billing.models import TaxDocument
from kesher.billing.selectors import invoice_balance

pytestmark = pytest.mark.django_db


def test_the_demo_has_invoices_a_partial_payment_and_a_credit_note(loaded):
    kinds = set(TaxDocument.objects.exclude(status="draft").values_list("kind", flat=True))
    assert {"tax_invoice", "delivery_note", "receipt", "credit_note"} <= kinds
    receipt = TaxDocument.objects.get(kind="receipt")
    assert receipt.payments.get().method == "cheque"
    assert 0 < invoice_balance(receipt.based_on) < receipt.based_on.total
    credited = TaxDocument.objects.get(kind="credit_note").based_on
    assert invoice_balance(credited) == 0

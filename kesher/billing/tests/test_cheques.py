"""Post-dated cheques held until their date, and a cheque returned by the bank (issue 17 item 3;
REQ CU-7; decision 0084): a cheque dated later is on the receipt but counts toward the balance
from its date; a returned cheque is owed again, the locked receipt untouched, the change in both
histories."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from kesher.billing.cheques import cheque_return
from kesher.billing.models import ChequeReturn, DocumentKind, TaxDocument
from kesher.billing.selectors import account_billing, invoice_amounts, with_balances
from kesher.billing.services import (
    PaymentInput,
    document_from_order,
    document_issue,
    document_set_payments,
    receipt_for,
)
from kesher.platform.models import AuditEntry

pytestmark = pytest.mark.django_db

CHEQUE = {"bank": "12", "branch": "600", "bank_account": "123456", "cheque_number": "1001"}


@pytest.fixture
def today():
    from django.utils import timezone

    return timezone.localdate()


@pytest.fixture
def invoice(users, business, make_order):
    draft = document_from_order(
        make_order(business, "5"), actor=users["sales_rep"], kind=DocumentKind.TAX_INVOICE
    )
    return document_issue(draft, actor=users["sales_rep"])  # 531.00


def _cheque(amount, day):
    return PaymentInput(method="cheque", amount=Decimal(amount), paid_on=day, **CHEQUE)


def _balance_on(invoice, day):
    row = with_balances(TaxDocument.objects.filter(pk=invoice.pk), day).values("balance", "held")[0]
    return round(Decimal(row["balance"]), 2), round(Decimal(row["held"]), 2)


def test_a_post_dated_cheque_counts_from_its_date(users, business, invoice, today):
    later = today + datetime.timedelta(days=30)
    receipt_for(invoice, actor=users["sales_rep"], payments=[_cheque("200", later)])
    assert invoice_amounts(invoice) == (Decimal("531.00"), Decimal("200.00"))
    assert _balance_on(invoice, later) == (Decimal("331.00"), Decimal("0.00"))
    summary = account_billing(business)
    assert summary.open_balance == Decimal("531.00")
    assert summary.held == Decimal("200.00")
    assert account_billing(business, today=later).held == Decimal("0.00")


def test_a_held_cheque_is_not_paid_twice(users, invoice, today):
    later = today + datetime.timedelta(days=10)
    receipt_for(invoice, actor=users["sales_rep"], payments=[_cheque("500", later)])
    with pytest.raises(ValidationError, match="more than the open balance"):
        receipt_for(
            invoice,
            actor=users["sales_rep"],
            payments=[PaymentInput(method="cash", amount=Decimal("100"))],
        )
    receipt_for(
        invoice,
        actor=users["sales_rep"],
        payments=[PaymentInput(method="cash", amount=Decimal("31"))],
    )


def test_an_invoice_receipt_with_a_post_dated_cheque(users, business, make_order, today):
    draft = document_from_order(
        make_order(business, "1"), actor=users["sales_rep"], kind=DocumentKind.TAX_INVOICE_RECEIPT
    )
    later = today + datetime.timedelta(days=5)
    document_set_payments(draft, actor=users["sales_rep"], payments=[_cheque("106.20", later)])
    issued = document_issue(draft, actor=users["sales_rep"])
    assert invoice_amounts(issued) == (Decimal("106.20"), Decimal("106.20"))
    assert _balance_on(issued, later) == (Decimal("0.00"), Decimal("0.00"))


def test_a_returned_cheque_is_owed_again_and_the_receipt_is_untouched(users, invoice, today):
    receipt = receipt_for(invoice, actor=users["sales_rep"], payments=[_cheque("200", today)])
    assert invoice_amounts(invoice) == (Decimal("331.00"), Decimal("0.00"))
    version = receipt.version
    row = cheque_return(receipt.payments.get(), actor=users["manager"], reason="אין כיסוי")
    assert row.returned_on == today
    assert invoice_amounts(invoice) == (Decimal("531.00"), Decimal("0.00"))
    receipt.refresh_from_db()
    assert (receipt.status, receipt.version, receipt.total) == ("issued", version, Decimal("200"))
    assert receipt.payments.count() == 1
    for document in (receipt, invoice):
        entry = AuditEntry.objects.filter(object_id=document.pk).latest("id")
        assert "cheque_returned" in entry.changes
        assert entry.actor == users["manager"]
    with pytest.raises(ValidationError, match="already"):
        cheque_return(receipt.payments.get(), actor=users["manager"], reason="שוב")
    assert ChequeReturn.objects.count() == 1


def test_only_a_cheque_with_a_reason_is_returned(users, invoice):
    cash = receipt_for(
        invoice,
        actor=users["sales_rep"],
        payments=[PaymentInput(method="cash", amount=Decimal("5"))],
    )
    with pytest.raises(ValidationError, match="Only a cheque"):
        cheque_return(cash.payments.get(), actor=users["manager"], reason="x")
    cheque = receipt_for(
        invoice, actor=users["sales_rep"], payments=[_cheque("5", datetime.date(2026, 1, 1))]
    )
    with pytest.raises(ValidationError, match="why"):
        cheque_return(cheque.payments.get(), actor=users["manager"], reason="  ")
    assert not ChequeReturn.objects.exists()


def test_the_api_and_page_mark_a_returned_cheque(users, invoice, today, api_for, client_for):
    receipt = receipt_for(invoice, actor=users["sales_rep"], payments=[_cheque("200", today)])
    api = api_for(users["sales_rep"])
    refused = api.post(f"/api/v1/tax-documents/{receipt.pk}/payments/1/return/", {"reason": ""})
    assert refused.status_code == 400
    assert not ChequeReturn.objects.exists()
    assert api.post(f"/api/v1/tax-documents/{receipt.pk}/payments/9/return/").status_code == 404
    done = api.post(
        f"/api/v1/tax-documents/{receipt.pk}/payments/1/return/", {"reason": "חתימה חסרה"}
    )
    assert done.status_code == 200, done.content
    assert done.json()["payments"][0]["returned_on"] == today.isoformat()
    page = client_for(users["sales_rep"]).get(f"/r/tax-documents/{receipt.pk}/")
    assert b"payment-1-returned" in page.content
    second = receipt_for(invoice, actor=users["sales_rep"], payments=[_cheque("100", today)])
    client = client_for(users["sales_rep"])
    assert b"payment-1-return" in client.get(f"/r/tax-documents/{second.pk}/").content
    answer = client.post(f"/tax-documents/{second.pk}/cheques/1/return/", {"reason": "אין כיסוי"})
    assert answer.status_code == 302
    assert ChequeReturn.objects.count() == 2


def test_held_cheques_show_on_the_account_tile_and_api(
    users, business, invoice, today, api_for, client_for
):
    later = today + datetime.timedelta(days=20)
    receipt = receipt_for(invoice, actor=users["sales_rep"], payments=[_cheque("200", later)])
    page = client_for(users["sales_rep"]).get(f"/r/accounts/{business.pk}/")
    assert b"account-held" in page.content
    summary = api_for(users["sales_rep"]).get(f"/api/v1/accounts/{business.pk}/billing/").json()
    assert summary["held"] == "200.00"
    assert summary["open_balance"] == "531.00"
    receipt_page = client_for(users["sales_rep"]).get(f"/r/tax-documents/{receipt.pk}/")
    assert b"payment-1-held" in receipt_page.content

"""Payment links through a clearing provider (issue 17 item 3; REQ CU-7; decision 0084),
tested against a local fake provider: one link per invoice and balance, e-mailed through the
outbox; the provider's confirmation checked (forged and replayed refused, nothing written),
recorded once, and paid as a receipt; the practice environment calls no provider and sends
nothing."""

import time
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from kesher.billing.models import (
    ClearingAccount,
    DocumentKind,
    PaymentConfirmation,
    PaymentRequest,
    TaxDocument,
)
from kesher.billing.paylinks import payment_link_send
from kesher.billing.selectors import invoice_balance
from kesher.billing.services import PaymentInput, document_from_order, document_issue, receipt_for
from kesher.billing.tests.fake_clearing import SECRET, FakeClearing
from kesher.customers.models import Account
from kesher.integrations.models import OutgoingMessage

pytestmark = pytest.mark.django_db


@pytest.fixture
def provider():
    with FakeClearing() as fake:
        yield fake


@pytest.fixture
def clearing(provider):
    return ClearingAccount.objects.create(
        name="סליקה", provider="generic", terminal="kesher01", api_url=provider.api_url,
        secret=SECRET,
    )  # fmt: skip


@pytest.fixture
def invoice(users, business, make_order):
    Account.objects.filter(pk=business.pk).update(email="pay@example.co.il")
    draft = document_from_order(
        make_order(business, "5"), actor=users["sales_rep"], kind=DocumentKind.TAX_INVOICE
    )
    return document_issue(draft, actor=users["sales_rep"])  # 450 + 81 VAT = 531


def _confirm(client, clearing, body, headers):
    return client.generic(
        "POST",
        f"/api/v1/clearing/{clearing.pk}/confirm/",
        body,
        content_type="application/json",
        headers={**headers, "Accept-Language": "he"},
    )


def test_a_link_for_the_open_balance_is_sent_once(users, invoice, clearing, provider):
    link = payment_link_send(invoice, actor=users["sales_rep"])
    assert link.status == "sent"
    assert link.amount == Decimal("531.00")
    assert link.url.startswith(f"{provider.base}/pay/")
    message = OutgoingMessage.objects.get()
    assert message.status == OutgoingMessage.Status.QUEUED
    assert message.to == "pay@example.co.il"
    assert link.url in message.body_html
    again = payment_link_send(invoice, actor=users["sales_rep"])
    assert again.pk == link.pk
    assert OutgoingMessage.objects.count() == 1
    assert len(provider.pages) == 1


def test_after_a_part_payment_the_link_is_for_the_rest(users, invoice, clearing):
    cash = PaymentInput(method="cash", amount=Decimal("200"))
    receipt_for(invoice, actor=users["sales_rep"], payments=[cash])
    link = payment_link_send(invoice, actor=users["sales_rep"])
    assert link.amount == Decimal("331.00")


def test_the_provider_down_leaves_the_request_to_try_again(users, invoice, clearing, provider):
    provider.mode = "error"
    with pytest.raises(ValidationError, match="did not answer"):
        payment_link_send(invoice, actor=users["sales_rep"])
    assert PaymentRequest.objects.get().status == "new"
    assert not OutgoingMessage.objects.exists()
    provider.mode = "ok"
    assert payment_link_send(invoice, actor=users["sales_rep"]).status == "sent"
    assert PaymentRequest.objects.count() == 1


def test_no_link_without_a_clearing_account_or_for_a_paid_invoice(users, invoice):
    with pytest.raises(ValidationError, match="No clearing account"):
        payment_link_send(invoice, actor=users["sales_rep"])
    ClearingAccount.objects.create(name="c", provider="generic", terminal="t", secret="s")
    receipt_for(
        invoice,
        actor=users["sales_rep"],
        payments=[PaymentInput(method="cash", amount=Decimal("531"))],
    )
    with pytest.raises(ValidationError, match="paid"):
        payment_link_send(invoice, actor=users["sales_rep"])
    assert not PaymentRequest.objects.exists()


def test_an_approved_confirmation_is_a_receipt_recorded_once(
    users, invoice, clearing, provider, client
):
    link = payment_link_send(invoice, actor=users["sales_rep"])
    body, headers = provider.confirmation(str(link.reference))
    first = _confirm(client, clearing, body, headers)
    assert first.status_code == 200, first.content
    assert first.json() == {"status": "paid"}
    second = _confirm(client, clearing, body, headers)
    assert second.status_code == 200
    other_event = provider.confirmation(str(link.reference), event_id="evt-2")
    assert _confirm(client, clearing, *other_event).status_code == 200
    receipts = TaxDocument.objects.filter(kind=DocumentKind.RECEIPT, based_on=invoice)
    assert receipts.count() == 1
    payment = receipts.get().payments.get()
    assert payment.method == "card"
    assert payment.amount == Decimal("531.00")
    assert payment.reference.startswith("4580-")
    assert invoice_balance(invoice) == Decimal("0.00")
    assert PaymentConfirmation.objects.count() == 2
    link.refresh_from_db()
    assert link.status == "paid"
    assert link.receipt == receipts.get()


def test_forged_and_replayed_confirmations_are_refused_and_write_nothing(
    users, invoice, clearing, provider, client
):
    link = payment_link_send(invoice, actor=users["sales_rep"])
    forged = provider.confirmation(str(link.reference), secret="guessed")
    replayed = provider.confirmation(str(link.reference), timestamp=int(time.time()) - 3600)
    unknown = provider.confirmation("00000000-0000-0000-0000-000000000000")
    changed_body, headers = provider.confirmation(str(link.reference))
    changed = (changed_body.replace(b"531.00", b"1.00"), headers)
    for body, headers in (forged, replayed, unknown, changed, (b"not json", {})):
        answer = _confirm(client, clearing, body, headers)
        assert answer.status_code == 400, answer.content
        assert "האישור נדחה" in answer.content.decode()
    assert not PaymentConfirmation.objects.exists()
    assert not TaxDocument.objects.filter(kind=DocumentKind.RECEIPT).exists()
    assert _confirm(client, clearing, *forged).status_code == 400
    missing = client.post("/api/v1/clearing/999999/confirm/", {}, content_type="application/json")
    assert missing.status_code == 404


def test_a_declined_payment_records_no_receipt(users, invoice, clearing, provider, client):
    link = payment_link_send(invoice, actor=users["sales_rep"])
    body, headers = provider.confirmation(str(link.reference), approved=False)
    assert _confirm(client, clearing, body, headers).json() == {"status": "declined"}
    link.refresh_from_db()
    assert link.last_error == "כרטיס נדחה"
    assert invoice_balance(invoice) == Decimal("531.00")


def test_paid_meanwhile_the_confirmation_is_kept_for_a_person(
    users, invoice, clearing, provider, client
):
    link = payment_link_send(invoice, actor=users["sales_rep"])
    receipt_for(
        invoice,
        actor=users["sales_rep"],
        payments=[PaymentInput(method="cash", amount=Decimal("100"))],
    )
    body, headers = provider.confirmation(str(link.reference))
    assert _confirm(client, clearing, body, headers).json() == {"status": "failed"}
    assert invoice_balance(invoice) == Decimal("431.00")


def test_the_practice_environment_calls_no_provider_and_sends_nothing(
    settings, users, invoice, clearing, provider
):
    settings.KESHER_PRACTICE = True
    link = payment_link_send(invoice, actor=users["sales_rep"])
    assert provider.pages == {}
    assert link.url.startswith("https://practice.invalid/")
    assert OutgoingMessage.objects.get().status == OutgoingMessage.Status.SUPPRESSED


def test_the_api_sends_a_link_and_refuses_a_draft_in_hebrew(
    users, business, make_order, invoice, clearing, api_for
):
    api = api_for(users["sales_rep"])
    made = api.post(f"/api/v1/tax-documents/{invoice.pk}/payment-link/")
    assert made.status_code == 201, made.content
    assert made.json()["amount"] == "531.00"
    assert made.json()["status"] == "sent"
    assert api.post(f"/api/v1/tax-documents/{invoice.pk}/payment-link/").json() == made.json()
    draft = document_from_order(
        make_order(business, "1"), actor=users["sales_rep"], kind=DocumentKind.TAX_INVOICE
    )
    refused = api.post(f"/api/v1/tax-documents/{draft.pk}/payment-link/")
    assert refused.status_code == 400
    assert "קישור לתשלום" in str(refused.json())
    assert PaymentRequest.objects.count() == 1
    reader = api_for(users["read_only"])
    assert reader.post(f"/api/v1/tax-documents/{invoice.pk}/payment-link/").status_code in (
        403,
        404,
    )


def test_the_page_button_sends_the_link(users, invoice, clearing, client_for):
    client = client_for(users["sales_rep"])
    page = client.get(f"/r/tax-documents/{invoice.pk}/")
    assert b"document-payment-link" in page.content
    answer = client.post(f"/tax-documents/{invoice.pk}/payment-link/")
    assert answer.status_code == 302
    assert PaymentRequest.objects.get().status == "sent"
    assert b"payment-link" in client.get(f"/r/tax-documents/{invoice.pk}/").content


def test_a_clearing_account_keeps_its_secret_unread(users, api_for):
    api = api_for(users["admin"])
    made = api.post(
        "/api/v1/clearing-accounts/",
        {"name": "ראשית", "provider": "generic", "terminal": "t1", "secret": "s3cret"},
        format="json",
    )
    assert made.status_code == 201, made.content
    assert "secret" not in made.json()
    assert ClearingAccount.objects.get().secret == "s3cret"
    pk = made.json()["id"]
    kept = api.patch(f"/api/v1/clearing-accounts/{pk}/", {"terminal": "t2", "secret": ""})
    assert kept.status_code == 200, kept.content
    assert ClearingAccount.objects.get().secret == "s3cret"
    unknown = api.post(
        "/api/v1/clearing-accounts/",
        {"name": "x", "provider": "nobody", "terminal": "t", "secret": "s"},
        format="json",
    )
    assert unknown.status_code == 400
    assert ClearingAccount.objects.count() == 1

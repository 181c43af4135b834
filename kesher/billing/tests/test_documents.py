"""Tax documents' PDFs (issue 17 item 1; decisions 0076 and 0077): the mandatory fields of a
tax invoice, "מקור" printed once and "העתק" after, a draft or an invoice awaiting its
allocation number never the original, and who may download them."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from kesher.billing.allocation import request_allocations
from kesher.billing.documents import document_download
from kesher.billing.models import DocumentKind, TaxDocument
from kesher.billing.services import (
    PaymentInput,
    credit_note_for,
    document_from_order,
    document_issue,
    receipt_for,
)
from kesher.billing.tests.conftest import DAY
from kesher.org.models import Company
from kesher.quotes.tests.test_pdf import save_looks, text_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def company(users):
    return Company.objects.create(
        name="קשר מערכות בע״מ", company_number="514000009", address="הרצל 1, חיפה"
    )


def _issued(users, order, kind=DocumentKind.TAX_INVOICE):
    draft = document_from_order(order, actor=users["sales_rep"], kind=kind, doc_date=DAY)
    return document_issue(draft, actor=users["sales_rep"])


def _count(document) -> int:
    return TaxDocument.objects.get(pk=document.pk).print_count


def test_an_invoice_prints_its_mandatory_fields_and_the_original_once(
    users, business, make_order, company, tax_authority
):
    """ISRAEL.md: "מקור" on exactly one copy, "העתק" on every other; while the allocation
    number is awaited the invoice prints as a draft and does not use up the original."""
    business.street, business.city = "הנביאים 12", "ירושלים"
    business.save()
    invoice = _issued(users, make_order(business, "70", company=company))  # ₪5,600 before VAT
    assert invoice.status == TaxDocument.Status.AWAITING_ALLOCATION
    waiting = text_of(document_download(invoice, language="he"))
    assert "טיוטה" in waiting
    assert "מקור" not in waiting
    assert _count(invoice) == 0

    assert request_allocations() == 1
    invoice.refresh_from_db()
    original = document_download(invoice, language="he")
    save_looks("tax-invoice-he.pdf", original)
    text = text_of(original)
    assert "מקור" in text
    assert "העתק" not in text
    assert "טיוטה" not in text
    assert "חשבונית מס" in text
    assert invoice.number in text
    assert "לקוח עסקי בע״מ" in text
    assert "514713288" in text
    assert "הנביאים" in text
    assert "ירושלים" in text
    assert "קשר מערכות בע״מ" in text
    assert "514000009" in text
    assert "עוסק מורשה" in text
    assert invoice.allocation_number == "000000001"
    assert "000000001" in text
    assert "06/12/2026" in text
    assert "18%" in text  # the VAT rate of the line
    assert "5,600.00" in text
    assert "1,008.00" in text
    assert "6,608.00" in text
    copy = text_of(document_download(invoice, language="he"))
    assert "העתק" in copy
    assert "מקור" not in copy
    assert _count(invoice) == 2


def test_a_draft_never_uses_up_the_original(users, business, make_order, company):
    draft = document_from_order(
        make_order(business, "2", company=company),
        actor=users["sales_rep"],
        kind=DocumentKind.TAX_INVOICE,
        doc_date=DAY,
    )
    for _ in range(2):
        text = text_of(document_download(draft, language="he"))
        assert "טיוטה" in text
        assert "מקור" not in text
        assert "העתק" not in text
    assert _count(draft) == 0
    issued = document_issue(draft, actor=users["sales_rep"])
    assert "מקור" in text_of(document_download(issued, language="he"))


def test_a_render_that_fails_counts_no_print(users, business, make_order, monkeypatch):
    invoice = _issued(users, make_order(business, "2"))

    def broken(html, **kwargs):
        raise RuntimeError("the renderer fell over")

    monkeypatch.setattr("kesher.billing.documents.html_to_pdf", broken)
    with pytest.raises(RuntimeError):
        document_download(invoice, language="he")
    assert _count(invoice) == 0


def test_a_credit_note_names_the_invoice_it_credits(users, business, make_order, company):
    invoice = _issued(users, make_order(business, "3", company=company))
    note = document_issue(
        credit_note_for(invoice, actor=users["sales_rep"]), actor=users["sales_rep"]
    )
    data = document_download(note, language="he")
    save_looks("credit-note-he.pdf", data)
    text = text_of(data)
    assert "חשבונית מס זיכוי" in text
    assert note.number in text
    assert "מזכה את" in text
    assert invoice.number in text
    assert "מקור" in text
    english = text_of(document_download(note, language="en"))
    assert "Credit note" in english
    assert f"Credits Tax invoice {invoice.number}" in english
    assert "Copy" in english


def test_a_foreign_currency_invoice_shows_shekels_and_the_rate(
    users, business, make_order, company
):
    from kesher.catalogue.models import ExchangeRate

    ExchangeRate.objects.create(currency="USD", valid_from=DAY, rate=Decimal("3.650000"))
    invoice = _issued(users, make_order(business, "1", currency="USD", company=company))
    data = document_download(invoice, language="en")
    save_looks("invoice-usd-en.pdf", data)
    text = text_of(data)
    assert "USD" in text
    assert "3.65" in text
    assert f"{invoice.total_ils:,}" in text
    assert "Total (₪)" in text


def test_a_receipt_prints_its_cheque_and_the_tax_withheld(users, business, make_order, company):
    invoice = _issued(users, make_order(business, "5", company=company))
    cheque = PaymentInput(
        method="cheque",
        amount=Decimal("400.00"),
        paid_on=datetime.date(2026, 12, 31),
        bank="12",
        branch="600",
        bank_account="123456",
        cheque_number="1001",
    )
    receipt = receipt_for(
        invoice, actor=users["sales_rep"], payments=[cheque], withholding=Decimal("30.00")
    )
    data = document_download(receipt, language="he")
    save_looks("receipt-he.pdf", data)
    text = text_of(data)
    assert "קבלה" in text
    assert receipt.number in text
    assert "123456" in text
    assert "1001" in text
    assert "31/12/2026" in text
    assert "30.00" in text
    assert "430.00" in text
    assert "מקור" in text


def test_the_page_and_the_api_give_the_pdf_to_those_who_see_the_document(
    users, business, make_order, client_for, api_for, api_schema
):
    rep, other = users["sales_rep"], users["sales_rep2"]
    invoice = _issued(users, make_order(business, "2"))
    api = api_for(rep)
    first = api.get(f"/api/v1/tax-documents/{invoice.pk}/pdf/", HTTP_ACCEPT="application/pdf")
    assert first.status_code == 200
    assert first["Content-Type"] == "application/pdf"
    assert f"{invoice.number}.pdf" in first["Content-Disposition"]
    assert "מקור" in text_of(first.content)
    second = client_for(rep).get(f"/tax-documents/{invoice.pk}/pdf/?language=en")
    assert second.status_code == 200
    assert "Copy" in text_of(second.content)
    assert api_for(other).get(f"/api/v1/tax-documents/{invoice.pk}/pdf/").status_code == 404
    assert client_for(other).get(f"/tax-documents/{invoice.pk}/pdf/").status_code == 404
    assert api_for(None).get(f"/api/v1/tax-documents/{invoice.pk}/pdf/").status_code in (401, 403)
    assert _count(invoice) == 2  # the refusals printed nothing
    page = client_for(rep).get(f"/r/tax-documents/{invoice.pk}/").content.decode()
    assert f"/tax-documents/{invoice.pk}/pdf/?language=he" in page
    schema = api_schema()
    operation = schema["paths"]["/api/v1/tax-documents/{id}/pdf/"]["get"]
    assert operation["operationId"] == "tax_documents_pdf"
    assert "application/pdf" in operation["responses"]["200"]["content"]

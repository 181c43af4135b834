"""The transaction invoice (חשבונית עסקה, ISRAEL.md §9; decision 0086): numbered in its own
series, no allocation number and no debt of its own, made a tax invoice later — once — in
the chain, on its PDF, page and API."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from kesher.billing.documents import document_download
from kesher.billing.models import TAX_AUTHORITY_CODES, DocumentKind, TaxDocument
from kesher.billing.selectors import account_billing
from kesher.billing.services import (
    allocation_cancel,
    document_from_order,
    document_issue,
    needs_allocation,
    tax_invoice_from,
)
from kesher.billing.tests.conftest import DAY
from kesher.quotes.tests.test_pdf import save_looks, text_of

pytestmark = pytest.mark.django_db


def _issued(users, order, kind=DocumentKind.INVOICE):
    draft = document_from_order(order, actor=users["sales_rep"], kind=kind, doc_date=DAY)
    return document_issue(draft, actor=users["sales_rep"])


def test_it_is_numbered_in_its_own_series_without_an_allocation_or_a_debt(
    users, business, make_order
):
    """ISRAEL.md: code 300, consecutive numbers of its own; not a tax invoice, so no
    allocation number above the threshold and nothing owed until the tax invoice."""
    order = make_order(business, "100")  # ₪8,000 before VAT: above the ₪5,000 threshold
    first = _issued(users, order)
    tax = _issued(users, make_order(business, "1"), kind=DocumentKind.TAX_INVOICE)
    second = _issued(users, order)
    assert (first.number_value, second.number_value, tax.number_value) == (1, 2, 1)
    assert first.status == TaxDocument.Status.ISSUED
    assert first.allocation == TaxDocument.Allocation.NOT_NEEDED
    assert not needs_allocation(first)
    assert TAX_AUTHORITY_CODES[DocumentKind.INVOICE] == 300
    assert account_billing(business, today=DAY).invoiced == tax.total


def test_it_becomes_a_tax_invoice_once_keeping_the_chain(
    users, business, make_order, tax_authority
):
    rep = users["sales_rep"]
    order = make_order(business, "100")
    invoice = _issued(users, order)
    draft = tax_invoice_from(invoice, actor=rep)
    assert (draft.kind, draft.status, draft.based_on, draft.order) == (
        DocumentKind.TAX_INVOICE,
        TaxDocument.Status.DRAFT,
        invoice,
        order,
    )
    assert [(line.quantity, line.net) for line in draft.lines.all()] == [
        (Decimal(100), Decimal("8000.00"))
    ]
    with pytest.raises(ValidationError, match="already"):
        tax_invoice_from(invoice, actor=rep)
    tax = document_issue(draft, actor=rep)
    # Now a tax invoice: above the threshold it waits for its allocation number.
    assert tax.status == TaxDocument.Status.AWAITING_ALLOCATION
    assert tax.total == invoice.total
    assert account_billing(business, today=DAY).invoiced == tax.total
    # Cancelled (allocation refused), the transaction invoice may be made a tax invoice again.
    TaxDocument.objects.filter(pk=tax.pk).update(allocation=TaxDocument.Allocation.REFUSED)
    allocation_cancel(tax, actor=rep)
    assert tax_invoice_from(invoice, actor=rep, kind=DocumentKind.TAX_INVOICE_RECEIPT).based_on


def test_only_an_issued_transaction_invoice_is_converted(users, business, make_order):
    rep = users["sales_rep"]
    order = make_order(business, "2")
    draft = document_from_order(order, actor=rep, kind=DocumentKind.INVOICE)
    tax = _issued(users, order, kind=DocumentKind.TAX_INVOICE)
    for source in (draft, tax):
        with pytest.raises(ValidationError):
            tax_invoice_from(source, actor=rep)
    issued = document_issue(draft, actor=rep)
    with pytest.raises(ValidationError):
        tax_invoice_from(issued, actor=rep, kind=DocumentKind.RECEIPT)
    assert not TaxDocument.objects.filter(based_on=issued).exists()


def test_its_pdf_says_it_is_not_a_tax_invoice_and_the_tax_invoice_names_it(
    users, business, make_order
):
    rep = users["sales_rep"]
    invoice = _issued(users, make_order(business, "2"))
    data = document_download(invoice, language="he")
    save_looks("transaction-invoice-he.pdf", data)
    text = text_of(data)
    assert "חשבונית עסקה" in text
    assert "אין זו חשבונית מס" in text
    assert "מקור" in text
    tax = document_issue(tax_invoice_from(invoice, actor=rep), actor=rep)
    data = document_download(tax, language="he")
    save_looks("tax-invoice-of-transaction-invoice-he.pdf", data)
    text = text_of(data)
    assert "חשבונית מס" in text
    assert "חשבונית עסקה" in text  # "based on" it, with its number
    assert invoice.number in text


def test_the_page_and_the_api_make_the_tax_invoice(
    users, business, make_order, client_for, api_for
):
    rep = users["sales_rep"]
    invoice = _issued(users, make_order(business, "2"))
    page = client_for(rep).get(f"/r/tax-documents/{invoice.pk}/")
    assert 'id="document-tax-invoice"' in page.content.decode()
    api = api_for(rep)
    made = api.post(f"/api/v1/tax-documents/{invoice.pk}/tax-invoice/")
    assert made.status_code == 201, made.content
    assert made.json()["kind"] == "tax_invoice"
    again = api.post(f"/api/v1/tax-documents/{invoice.pk}/tax-invoice/", HTTP_ACCEPT_LANGUAGE="he")
    assert again.status_code == 400
    assert TaxDocument.objects.filter(based_on=invoice).count() == 1
    order = make_order(business, "1")
    made = api.post(f"/api/v1/orders/{order.pk}/tax-document/", {"kind": "invoice"})
    assert made.status_code == 201, made.content
    assert made.json()["kind"] == "invoice"

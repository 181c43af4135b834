"""Tax documents through the API and the pages: the chain from an order, issuing, printing,
receipts, the customer's balance, and an issued document locked on every route — the page,
the API, bulk updates, imports and automation (issue 17; ISRAEL.md §23א)."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from kesher.billing.models import DocumentKind, TaxDocument
from kesher.billing.services import document_from_order, document_issue
from kesher.billing.tests.conftest import DAY

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(users, business, make_order):
    draft = document_from_order(
        make_order(business, "5"), actor=users["sales_rep"], kind=DocumentKind.TAX_INVOICE
    )
    return document_issue(draft, actor=users["sales_rep"])


def test_an_order_becomes_an_invoice_issued_and_paid_through_the_api(
    users, business, make_order, api_for
):
    api = api_for(users["sales_rep"])
    order = make_order(business, "5")
    made = api.post(f"/api/v1/orders/{order.pk}/tax-document/", {"kind": "tax_invoice"})
    assert made.status_code == 201, made.content
    pk = made.json()["id"]
    assert made.json()["lines"][0]["net"] == "450.00"
    assert made.json()["number"] == ""
    issued = api.post(f"/api/v1/tax-documents/{pk}/issue/")
    assert issued.status_code == 200
    assert issued.json()["status"] == "issued"
    assert issued.json()["balance"] == "531.00"
    printed = [api.get(f"/api/v1/tax-documents/{pk}/pdf/") for _ in range(2)]
    assert [answer.status_code for answer in printed] == [200, 200]
    assert TaxDocument.objects.get(pk=pk).print_count == 2
    cheque = {
        "method": "cheque",
        "amount": "200.00",
        "paid_on": "2026-12-31",
        "bank": "12",
        "branch": "600",
        "bank_account": "123456",
        "cheque_number": "1001",
    }
    paid = api.post(f"/api/v1/tax-documents/{pk}/receipt/", {"payments": [cheque]}, format="json")
    assert paid.status_code == 201, paid.content
    assert paid.json()["kind"] == "receipt"
    assert paid.json()["payments"][0]["bank"] == "12"
    summary = api.get(f"/api/v1/accounts/{business.pk}/billing/").json()
    # A cheque dated after today is held: it counts from its date (decision 0084).
    held = datetime.date(2026, 12, 31) > timezone.localdate()
    assert summary["open_balance"] == ("531.00" if held else "331.00")
    assert summary["held"] == ("200.00" if held else "0.00")
    assert summary["overdue"] == "0.00"


def test_a_refused_payment_answers_400_in_hebrew_and_writes_nothing(users, issued, api_for):
    api = api_for(users["sales_rep"])
    before = TaxDocument.objects.count()
    answer = api.post(
        f"/api/v1/tax-documents/{issued.pk}/receipt/",
        {"payments": [{"method": "cheque", "amount": "10.00"}]},
        format="json",
        headers={"Accept-Language": "he"},
    )
    assert answer.status_code == 400
    assert "שיק" in str(answer.json()) or "צ׳ק" in str(answer.json())
    assert TaxDocument.objects.count() == before


def test_an_issued_document_is_not_changed_through_the_api(users, issued, api_for):
    api = api_for(users["admin"])
    answer = api.patch(f"/api/v1/tax-documents/{issued.pk}/", {"notes": "שונה"})
    assert answer.status_code == 400
    assert api.delete(f"/api/v1/tax-documents/{issued.pk}/").status_code in (400, 409)
    bulk = api.post(
        "/api/v1/bulk/tax-documents/",
        {"action": "update", "field": "notes", "value": "שונה", "ids": [issued.pk]},
    )
    assert bulk.status_code in (200, 400), bulk.content
    issued.refresh_from_db()
    assert issued.notes == ""
    assert TaxDocument.objects.filter(pk=issued.pk).exists()


def test_an_issued_document_is_not_changed_through_its_page(users, issued, client_for):
    client = client_for(users["admin"])
    client.post(
        f"/r/tax-documents/{issued.pk}/edit/",
        {"kind": "tax_invoice", "account": issued.account_id, "notes": "שונה"},
    )
    issued.refresh_from_db()
    assert issued.notes == ""
    page = client.get(f"/r/tax-documents/{issued.pk}/")
    assert page.status_code == 200
    assert b"document-balance" in page.content


def test_automation_cannot_change_an_issued_document(users, issued):
    from django.core.exceptions import ValidationError

    from kesher.automation.actions import _update

    with pytest.raises(ValidationError, match="credit note"):
        _update(issued, {"notes": "שונה"})


def test_the_importer_does_not_offer_tax_documents():
    from kesher.platform.registry import registry

    assert registry.get("tax-documents").importable is False


def test_the_pages_issue_and_record_a_cheque(users, business, make_order, client_for):
    client = client_for(users["sales_rep"])
    order = make_order(business, "5")
    made = client.post(f"/orders/{order.pk}/tax-document/", {"kind": "tax_invoice"})
    document = TaxDocument.objects.get(order=order)
    assert made.status_code == 302
    client.post(f"/tax-documents/{document.pk}/issue/")
    document.refresh_from_db()
    assert document.status == "issued"
    form = client.get(f"/tax-documents/{document.pk}/pay/")
    assert form.status_code == 200
    refused = client.post(
        f"/tax-documents/{document.pk}/pay/", {"method": "cheque", "amount": "50"}
    )
    assert refused.status_code == 200
    assert b"alert-danger" in refused.content
    done = client.post(
        f"/tax-documents/{document.pk}/pay/",
        {
            "method": "cheque",
            "amount": "100",
            "paid_on": DAY.isoformat(),
            "bank": "12",
            "branch": "600",
            "bank_account": "1",
            "cheque_number": "7",
        },
    )
    assert done.status_code == 302
    account = client.get(f"/r/accounts/{business.pk}/")
    assert b"account-open-balance" in account.content
    assert "431.00" in account.content.decode()
    assert document.followers.get().total == Decimal("100.00")


def test_an_invoice_past_its_due_date_shows_overdue(users, business, make_order, client_for):
    """REQ CU-8: an open invoice past its due date is marked overdue on its page."""
    draft = document_from_order(
        make_order(business, "1"),
        actor=users["sales_rep"],
        kind=DocumentKind.TAX_INVOICE,
        doc_date=DAY.replace(month=1),
    )
    invoice = document_issue(draft, actor=users["sales_rep"])
    page = client_for(users["sales_rep"]).get(f"/r/tax-documents/{invoice.pk}/")
    assert b"document-overdue" in page.content


def test_part_of_a_lines_quantity_is_credited_through_the_api(users, issued, api_for):
    api = api_for(users["sales_rep"])
    url = f"/api/v1/tax-documents/{issued.pk}/credit-note/"
    made = api.post(url, {"lines": [{"position": 1, "quantity": "2"}]}, format="json")
    assert made.status_code == 201, made.content
    assert made.json()["lines"][0]["quantity"] == "2.000"
    assert made.json()["lines"][0]["net"] == "180.00"  # 2 of the 5 laptops at 90 ₪
    before = TaxDocument.objects.count()
    too_many = api.post(
        url,
        {"lines": [{"position": 1, "quantity": "4"}]},
        format="json",
        headers={"Accept-Language": "he"},
    )
    assert too_many.status_code == 400
    assert TaxDocument.objects.count() == before


def test_the_invoice_page_credits_part_of_a_line(users, issued, client_for):
    """The credit-note form lists what is open of each line: two of the five laptops credited,
    then the page offers the three left; with every line unticked nothing is made."""
    client = client_for(users["sales_rep"])
    page = client.get(f"/r/tax-documents/{issued.pk}/").content.decode()
    assert 'id="document-credit-lines"' in page
    assert 'name="quantity_1" value="5"' in page
    url = f"/tax-documents/{issued.pk}/credit-note/"
    client.post(url, {"lines_chosen": "1", "position": ["1"], "quantity_1": "2"})
    note = TaxDocument.objects.get(kind=DocumentKind.CREDIT_NOTE)
    assert (note.lines.get().quantity, note.net) == (Decimal("2"), Decimal("180.00"))
    page = client.get(f"/r/tax-documents/{issued.pk}/").content.decode()
    assert 'name="quantity_1" value="3"' in page
    client.post(url, {"lines_chosen": "1"})
    assert TaxDocument.objects.filter(kind=DocumentKind.CREDIT_NOTE).count() == 1

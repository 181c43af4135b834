"""For the accountant: a period's documents and payments as CSV and XLSX (issue 17 item 5;
REQ RE-1; decision 0084) — drafts left out, only what the reader sees, headers in his language,
no cell a spreadsheet would run."""

import csv
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from kesher.billing.cheques import cheque_return
from kesher.billing.models import DocumentKind
from kesher.billing.services import PaymentInput, document_from_order, document_issue, receipt_for
from kesher.billing.tests.conftest import DAY
from kesher.customers.tests.factories import make_account

pytestmark = pytest.mark.django_db

PERIOD = {"start": "2026-12-01", "end": "2026-12-31"}
CHEQUE = {"bank": "12", "branch": "600", "bank_account": "123456", "cheque_number": "1001"}


@pytest.fixture
def documents(users, business, make_order):
    rep = users["sales_rep"]
    invoice = document_issue(
        document_from_order(make_order(business, "5"), actor=rep, kind=DocumentKind.TAX_INVOICE),
        actor=rep,
    )
    receipt = receipt_for(
        invoice,
        actor=rep,
        payments=[
            PaymentInput(method="cheque", amount=Decimal("200"), paid_on=DAY, **CHEQUE),
            PaymentInput(method="transfer", amount=Decimal("100"), reference="=HYPERLINK(1)"),
        ],
        # Paid the day it is issued: an invoice is dated the day it is issued (today), and the
        # export lists documents by date.
        doc_date=invoice.doc_date,
    )
    cheque_return(receipt.payments.get(position=1), actor=rep, reason="אין כיסוי")
    draft = document_from_order(make_order(business, "1"), actor=rep, kind=DocumentKind.TAX_INVOICE)
    return invoice, receipt, draft


def _csv(response) -> list[list[str]]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_the_documents_of_a_period_in_hebrew(users, documents, client_for):
    invoice, receipt, _draft = documents
    client = client_for(users["sales_rep"])
    answer = client.get(
        "/billing/accountant/", {**PERIOD, "what": "documents", "output": "csv"},
        headers={"Accept-Language": "he"},
    )  # fmt: skip
    assert answer.status_code == 200
    assert answer["Content-Disposition"] == 'attachment; filename="documents-20261201-20261231.csv"'
    rows = _csv(answer)
    assert rows[0][:3] == ["סוג מסמך", "מספר", "תאריך"]
    assert [row[0] for row in rows[1:]] == ["חשבונית מס", "קבלה"]
    assert [row[1] for row in rows[1:]] == [invoice.number, receipt.number]
    assert rows[1][12] == "531.00"
    assert rows[2][12] == "300.00"
    assert rows[2][6] == invoice.number


def test_the_payments_as_xlsx_right_to_left(users, documents, client_for):
    invoice, _receipt, _draft = documents
    client = client_for(users["sales_rep"])
    answer = client.get(
        "/billing/accountant/", {**PERIOD, "what": "payments", "output": "xlsx"},
        headers={"Accept-Language": "he"},
    )  # fmt: skip
    assert answer.status_code == 200
    sheet = load_workbook(io.BytesIO(answer.content)).active
    assert sheet.sheet_view.rightToLeft
    rows = [[cell if cell is not None else "" for cell in row] for row in sheet.values]
    assert len(rows) == 3
    cheque, transfer = rows[1], rows[2]
    assert cheque[4] == invoice.number
    assert cheque[7] == "200.00"
    assert cheque[13] == "1001"
    assert cheque[15] == timezone.localdate().isoformat()
    assert transfer[14] == "'=HYPERLINK(1)"
    assert transfer[15] == ""


def test_english_headers_and_nothing_of_another_reps(users, documents, client_for, business):
    other = make_account(users["sales_rep2"], name="של נציג אחר")
    users["sales_rep2"].language = "en"
    users["sales_rep2"].save(update_fields=["language"])
    client = client_for(users["sales_rep2"])
    answer = client.get(
        "/billing/accountant/", {**PERIOD, "what": "documents", "output": "csv"},
        headers={"Accept-Language": "en"},
    )  # fmt: skip
    rows = _csv(answer)
    assert rows[0][:3] == ["document type", "number", "date"]
    assert len(rows) == 1
    assert business.name not in answer.content.decode()
    assert other.pk


def test_the_api_exports_and_refuses_a_bad_period_in_hebrew(users, documents, api_for):
    api = api_for(users["sales_rep"])
    answer = api.get("/api/v1/billing/export/", {**PERIOD, "output": "csv"})
    assert answer.status_code == 200
    assert len(_csv(answer)) == 3
    bad = api.get("/api/v1/billing/export/", {"start": "2026-12-31", "end": "2026-12-01"})
    assert bad.status_code == 400
    assert "התקופה" in str(bad.json())
    missing = api.get("/api/v1/billing/export/", {"start": "yesterday"})
    assert missing.status_code == 400
    assert api_for(users["support_agent"]).get("/api/v1/billing/export/", PERIOD).status_code in (
        200,
        403,
    )


def test_the_page_shows_the_form_and_its_errors(users, client_for):
    client = client_for(users["sales_rep"])
    page = client.get("/billing/accountant/")
    assert page.status_code == 200
    assert b"accountant-form" in page.content
    bad = client.get("/billing/accountant/", {"start": "2026-12-31", "end": "2026-12-01"})
    assert bad.status_code == 400
    assert b"accountant-errors" in bad.content


def test_the_access_log_names_the_documents_each_file_held(users, documents, client_for, api_for):
    """Issue 25: the accountant's file is logged as any list's export, by its records' ids."""
    from kesher.platform.accesslog import ranges
    from kesher.privacy.models import AccessEntry

    invoice, receipt, _draft = documents
    rep = users["sales_rep"]
    client_for(rep).get("/billing/accountant/", {**PERIOD, "what": "documents", "output": "csv"})
    client_for(rep).get("/billing/accountant/", {**PERIOD, "what": "payments", "output": "xlsx"})
    api_for(rep).get("/api/v1/billing/export/", {**PERIOD, "output": "csv"})
    logged = list(
        AccessEntry.objects.filter(user=rep, action="export")
        .order_by("pk")
        .values_list("entity", "record_id", "records", "api")
    )
    both = ranges([invoice.pk, receipt.pk])  # not the draft
    assert logged == [
        ("tax-documents", None, both, False),
        ("tax-documents", None, str(receipt.pk), False),  # the receipt holds the payments
        ("tax-documents", None, both, True),
    ]


def test_a_correction_reaches_whoever_exported_the_persons_tax_documents(
    users, business, make_order, client_for, api_for
):
    """Issue 25, decision 0126: the accountant's file names the documents it held, and so the
    people they were made out to — a correction of one is passed on to the users whose file
    held a document of his, and to no one whose file held none."""
    from conftest import make_user
    from kesher.customers.tests.factories import make_contact
    from kesher.privacy.recipients import recipients, since_for
    from kesher.privacy.services import request_create

    rep, manager = users["sales_rep"], users["manager"]
    dana = make_contact(rep, first_name="Dana", last_name="Levi")
    avi = make_contact(rep, first_name="Avi", last_name="Cohen")
    invoice = document_issue(
        document_from_order(
            make_order(business, "5"), actor=rep, kind=DocumentKind.TAX_INVOICE, contact=dana
        ),
        actor=rep,
    )
    assert invoice.contact_id == dana.pk
    client_for(rep).get("/billing/accountant/", {**PERIOD, "what": "documents", "output": "csv"})
    # The manager's file is of another month: it held none of Dana's documents.
    client_for(manager).get(
        "/billing/accountant/",
        {"start": "2026-10-01", "end": "2026-10-31", "what": "documents", "output": "csv"},
    )
    officer = make_user("privacy9", "privacy_officer")
    told = {}
    for person in (dana, avi):
        request = request_create(actor=officer, data={"contact": person, "kind": "correction"})
        found = recipients(request.contact, since=since_for(request))
        told[person.pk] = {(int(r.key), r.how) for r in found if r.kind == "user"}
    assert told == {dana.pk: {(rep.pk, "export_records")}, avi.pk: set()}

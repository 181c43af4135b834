"""The uniform file (מבנה אחיד 1.31) of a period's documents, read back by its own layouts
(issue 17 item 5; decision 0084): every record its layout's width, numbered in order, counted in
INI.TXT and Z900, and the documents, lines and payments as Kesher holds them."""

import io
import zipfile
from decimal import Decimal

import pytest

from kesher.billing.models import DocumentKind
from kesher.billing.services import PaymentInput, document_from_order, document_issue, receipt_for
from kesher.billing.tests.conftest import DAY
from kesher.billing.uniformfile import LAYOUTS, build, parse
from kesher.org.models import Company

pytestmark = pytest.mark.django_db

CHEQUE = {"bank": "12", "branch": "600", "bank_account": "123456", "cheque_number": "1001"}
WIDTHS = {code: sum(width for _n, _k, width in layout) for code, layout in LAYOUTS.items()}


@pytest.fixture
def company():
    return Company.objects.create(name="קשר מערכות בע״מ", company_number="514713288")


@pytest.fixture
def period(users, business, make_order):
    rep = users["sales_rep"]
    invoice = document_issue(
        document_from_order(make_order(business, "5"), actor=rep, kind=DocumentKind.TAX_INVOICE),
        actor=rep,
    )
    receipt = receipt_for(
        invoice,
        actor=rep,
        payments=[PaymentInput(method="cheque", amount=Decimal("200"), paid_on=DAY, **CHEQUE)],
        # Paid the day it is issued: an invoice is dated the day it is issued (today), and the
        # file lists documents by date.
        doc_date=invoice.doc_date,
    )
    return invoice, receipt


def test_the_file_reads_back_as_written(users, period, business, company):
    invoice, receipt = period
    files = build(company, users["sales_rep"], DAY.replace(day=1), DAY.replace(day=31))
    assert WIDTHS == {
        "A000": 466, "A100": 95, "C100": 445, "D110": 339, "D120": 222, "Z900": 110,
    }  # fmt: skip
    rows = parse(files.data)
    assert [row["code"] for row in rows] == ["A100", "C100", "D110", "C100", "D120", "Z900"]
    assert [row["record"] for row in rows] == [1, 2, 3, 4, 5, 6]
    assert all(row["length"] == WIDTHS[row["code"]] for row in rows)
    assert files.data.endswith(b"\r\n")
    head, c_invoice, line, c_receipt, payment, tail = rows
    vat = int(company.company_number)
    assert head["constant"] == "&OF1.31&"
    assert {row["vat_number"] for row in rows} == {vat}
    assert tail["records"] == 6
    assert tail["main_id"] == head["main_id"]
    assert (c_invoice["doc_type"], c_invoice["doc_number"]) == (305, invoice.number)
    assert c_invoice["customer_name"] == business.name.replace("״", '"')  # ISO-8859-8 has no ״
    assert c_invoice["customer_vat_number"] == int(business.company_number)
    assert (c_invoice["net"], c_invoice["vat"], c_invoice["total"]) == (
        Decimal("450.00"),
        Decimal("81.00"),
        Decimal("531.00"),
    )
    assert c_invoice["issue_date"] == int(f"{invoice.doc_date:%Y%m%d}")
    assert (line["line"], line["quantity"], line["line_total"]) == (1, Decimal("5"), Decimal("450"))
    assert line["vat_rate"] == Decimal("18")
    assert (c_receipt["doc_type"], c_receipt["total"]) == (400, Decimal("200.00"))
    assert (payment["method"], payment["bank"], payment["cheque"]) == (2, 12, 1001)
    assert payment["amount"] == Decimal("200.00")
    assert payment["doc_number"] == receipt.number


def test_the_ini_counts_the_records(users, period, company):
    _invoice, _receipt = period
    files = build(company, users["sales_rep"], DAY.replace(day=1), DAY.replace(day=31))
    head, *counts = parse(files.ini)
    assert head["code"] == "A000"
    assert head["length"] == 466
    assert head["records"] == 6
    assert head["software_type"] == 2
    assert head["bookkeeping_type"] == 0
    assert head["charset"] == 1
    assert head["currency"] == "ILS"
    assert {row["code"]: row["count"] for row in counts} == {
        "A100": 1, "C100": 2, "D110": 1, "D120": 1, "Z900": 1,
    }  # fmt: skip
    assert all(row["length"] == 19 for row in counts)


def test_the_page_downloads_the_zip_in_its_folder(users, period, client_for, company):
    _invoice, _receipt = period
    answer = client_for(users["sales_rep"]).get(
        "/billing/accountant/",
        {
            "start": "2026-12-01",
            "end": "2026-12-31",
            "output": "zip",
            "company": company.pk,
        },
    )
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(answer.content)).namelist()
    digits = company.company_number[:8]
    assert len(names) == 2
    assert all(name.startswith(f"OPENFRMT/{digits}.") for name in names)
    assert {name.rsplit("/", 1)[1] for name in names} == {"INI.TXT", "BKMVDATA.TXT"}


def test_nothing_of_another_reps_customers(users, period, company):
    _invoice, _receipt = period
    files = build(company, users["sales_rep2"], DAY.replace(day=1), DAY.replace(day=31))
    assert [row["code"] for row in parse(files.data)] == ["A100", "Z900"]

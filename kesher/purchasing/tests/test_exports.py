"""Supplier documents in the accountant's CSV/XLSX (issue 17 item 5; decision 0087), through
billing's accountant export."""

import csv
import datetime
import io
from decimal import Decimal

import pytest

from kesher.purchasing.services import (
    LineInput,
    lines_set,
    supplier_invoice_create,
    supplier_invoice_record,
    supplier_payment_create,
)
from kesher.purchasing.tests.conftest import DAY

pytestmark = pytest.mark.django_db


def _recorded(users, supplier, number, day=DAY, name="ייעוץ"):
    manager = users["manager"]
    invoice = supplier_invoice_create(
        actor=manager, data={"supplier": supplier, "supplier_number": number, "doc_date": day}
    )
    invoice = lines_set(
        invoice, actor=manager, lines=[LineInput(name=name, quantity="2", unit_price="250")]
    )
    return supplier_invoice_record(invoice, actor=manager)


def _rows(response) -> list[list[str]]:
    text = response.content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_the_period_supplier_invoices_and_payments_as_csv(users, supplier, client_for):
    invoice = _recorded(users, supplier, "=HYPERLINK(1)")
    _recorded(users, supplier, "OLD-1", day=datetime.date(2026, 10, 1))
    supplier_invoice_create(
        actor=users["manager"], data={"supplier": supplier, "supplier_number": "DRAFT-1"}
    )
    supplier_payment_create(
        actor=users["manager"],
        data={
            "invoice": invoice,
            "means": "cheque",
            "amount": Decimal("90"),
            "cheque_number": "1234",
            "paid_on": DAY,
        },
    )
    answer = client_for(users["admin"]).get(
        "/billing/accountant/",
        {"what": "suppliers", "output": "csv", "start": "2026-12-01", "end": "2026-12-31"},
    )
    assert answer.status_code == 200
    rows = _rows(answer)
    assert rows[0][:3] == ["סוג מסמך", "מספר החשבונית אצל הספק", "תאריך"]  # his language
    assert len(rows) == 3  # the header, December's recorded invoice, its payment
    assert rows[1][1] == "'=HYPERLINK(1)"  # never runs as a formula
    assert rows[1][15] == "590.00"
    assert (rows[2][7], rows[2][12], rows[2][17]) == ("שיק", "90.00", "1234")


def test_the_api_offers_supplier_documents_as_xlsx(users, supplier, api_for):
    _recorded(users, supplier, "X-1")
    answer = api_for(users["admin"]).get(
        "/api/v1/billing/export/",
        {"what": "suppliers", "output": "xlsx", "start": "2026-12-01", "end": "2026-12-31"},
    )
    assert answer.status_code == 200
    assert answer.content[:2] == b"PK"


def test_a_reader_without_purchasing_gets_no_supplier_rows(users, supplier, client_for):
    """A sales rep may export his tax documents, never supplier costs (decision 0087)."""
    _recorded(users, supplier, "R-1")
    answer = client_for(users["sales_rep"]).get(
        "/billing/accountant/",
        {"what": "suppliers", "output": "csv", "start": "2026-12-01", "end": "2026-12-31"},
    )
    assert answer.status_code == 200
    assert len(_rows(answer)) == 1  # the header alone

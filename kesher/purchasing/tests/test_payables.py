"""What we owe a supplier, as his page and his invoices show it (issue 17; decision 0092): the
payables banner labels its counts, and a supplier payment is on the timelines of the supplier
and of the invoice it pays — for readers granted supplier payments only."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from kesher.purchasing.services import (
    LineInput,
    lines_set,
    supplier_invoice_create,
    supplier_invoice_record,
    supplier_payment_create,
)
from kesher.purchasing.tests.conftest import DAY

pytestmark = pytest.mark.django_db


def recorded_invoice(users, supplier, number="A-1", price="1000", **data):
    manager = users["manager"]
    invoice = supplier_invoice_create(
        actor=manager,
        data={"supplier": supplier, "supplier_number": number, "doc_date": DAY, **data},
    )
    invoice = lines_set(
        invoice,
        actor=manager,
        lines=[
            LineInput(name="שכירות", quantity="1", unit_price=price),
            LineInput(name="ניקיון", quantity="1", unit_price="100"),
        ],
    )
    return supplier_invoice_record(invoice, actor=manager)


def test_the_banner_labels_its_counts_in_both_languages(users, supplier, client_for):
    recorded_invoice(users, supplier, doc_date=datetime.date(2026, 11, 1))
    recorded_invoice(users, supplier, number="A-2", doc_date=timezone.localdate())
    manager = users["manager"]
    manager.language = "en"
    manager.save(update_fields=["language"])
    client = client_for(manager)
    page = client.get(f"/r/accounts/{supplier.pk}/").content.decode()
    assert 'id="payables-open-count">Open invoices: 2<' in page
    assert 'id="payables-overdue-count">Invoices past the due date: 1<' in page
    manager.language = "he"
    manager.save(update_fields=["language"])
    hebrew = client.get(f"/r/accounts/{supplier.pk}/").content.decode()
    assert 'id="payables-open-count">חשבוניות פתוחות: 2<' in hebrew
    assert 'id="payables-overdue-count">חשבוניות שמועד תשלומן עבר: 1<' in hebrew


def test_a_payment_is_on_the_supplier_and_invoice_timelines(users, supplier, client_for):
    invoice = recorded_invoice(users, supplier)
    payment = supplier_payment_create(
        actor=users["manager"],
        data={
            "invoice": invoice,
            "means": "transfer",
            "amount": Decimal("300"),
            "reference": "העברה 4411",
        },
    )
    manager = users["manager"]
    manager.language = "en"
    manager.save(update_fields=["language"])
    client = client_for(manager)
    for url in (
        f"/r/accounts/{supplier.pk}/timeline/",
        f"/r/supplier-invoices/{invoice.pk}/timeline/",
    ):
        timeline = client.get(url).content.decode()
        assert "Supplier payment" in timeline
        assert "₪300.00" in timeline
        assert "העברה 4411" in timeline
        assert f"/r/supplier-payments/{payment.pk}/" in timeline
    # A rep sees the account but not what we pay its suppliers.
    rep = client_for(users["sales_rep"])
    page = rep.get(f"/r/accounts/{supplier.pk}/timeline/")
    if page.status_code == 200:
        assert "העברה 4411" not in page.content.decode()

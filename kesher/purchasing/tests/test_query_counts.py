"""Purchasing's own pages keep their query count flat: a purchase order's page and its lines
page ask as many queries for 50 lines as for 5, and so does the supplier's account page with
its payables (decision 0087)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kesher.purchasing.services import (
    LineInput,
    lines_set,
    purchase_order_create,
    supplier_invoice_create,
    supplier_invoice_record,
)

pytestmark = pytest.mark.django_db


def _queries(client, url) -> int:
    client.get(url)  # warm the caches (grants, registry stamps)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def _order(users, supplier, goods, count):
    order = purchase_order_create(actor=users["manager"], data={"supplier": supplier})
    lines = [
        LineInput(
            product=goods["mouse"] if n % 2 else None,
            name=f"שורה {n}",
            quantity="1",
            unit_price="5",
        )
        for n in range(count)
    ]
    return lines_set(order, actor=users["manager"], lines=lines)


def test_a_purchase_order_page_and_its_lines_page_are_flat(users, supplier, goods, client_for):
    client = client_for(users["manager"])
    small = _order(users, supplier, goods, 5)
    large = _order(users, supplier, goods, 50)
    for url in ("/r/purchase-orders/{}/", "/purchasing/purchase-orders/{}/lines/"):
        assert _queries(client, url.format(small.pk)) == _queries(client, url.format(large.pk))


def test_the_supplier_page_with_payables_is_flat(users, supplier, client_for):
    from kesher.customers.tests.factories import make_account

    other = make_account(users["manager"], name="ספק שני")
    for account, count in ((supplier, 2), (other, 20)):
        for n in range(count):
            invoice = supplier_invoice_create(
                actor=users["manager"], data={"supplier": account, "supplier_number": f"N-{n}"}
            )
            lines_set(
                invoice,
                actor=users["manager"],
                lines=[LineInput(name="x", quantity="1", unit_price="10")],
            )
            supplier_invoice_record(invoice, actor=users["manager"])
    client = client_for(users["manager"])
    assert _queries(client, f"/r/accounts/{supplier.pk}/") == _queries(
        client, f"/r/accounts/{other.pk}/"
    )

"""The lines page picks each row's product with the record picker (never a select of every
product), and saves the product a row names."""

import pytest

from kesher.purchasing.services import (
    LineInput,
    lines_set,
    purchase_order_create,
    supplier_invoice_create,
    supplier_invoice_record,
)

pytestmark = pytest.mark.django_db


def test_a_row_picks_its_product_with_the_record_picker(users, supplier, goods, client_for):
    client = client_for(users["manager"])
    order = purchase_order_create(actor=users["manager"], data={"supplier": supplier})
    url = f"/purchasing/purchase-orders/{order.pk}/lines/"
    page = client.get(url).content.decode()
    assert 'id="line-product-1-search"' in page
    assert "<select" not in page.split("<tbody>")[1]
    mouse = goods["mouse"]
    data = {"rows": "1", "product_1": str(mouse.pk), "name_1": "", "quantity_1": "2"}
    data["unit_price_1"] = "40"
    assert client.post(url, data).status_code == 302
    line = order.lines.get()
    assert (line.product, line.quantity) == (mouse, 2)
    assert f'value="{mouse}"' in client.get(url).content.decode()  # the chosen name shown


def test_the_payment_form_picks_its_invoice_as_typed(users, supplier, client_for):
    """A supplier's invoices are many (thousands a year): the payment form names its invoice
    with the record picker, filled from the invoice's "Record a payment" button, never a
    <select> of every invoice; the invoice is found by the supplier's number."""
    manager = users["manager"]
    invoice = supplier_invoice_create(
        actor=manager, data={"supplier": supplier, "supplier_number": "INV-7781"}
    )
    invoice = lines_set(
        invoice, actor=manager, lines=[LineInput(name="שכירות", quantity="1", unit_price="100")]
    )
    invoice = supplier_invoice_record(invoice, actor=manager)
    client = client_for(manager)
    url = f"/r/supplier-payments/new/?invoice={invoice.pk}&supplier={supplier.pk}&amount=118.00"
    page = client.get(url).content.decode()
    assert 'id="id_invoice-search"' in page
    assert '<select name="invoice"' not in page
    assert f'value="{invoice}"' in page  # the invoice named, not only its id
    found = client.get("/pick/supplier-invoices/", {"q": "INV-7781", "target": "id_invoice"})
    assert f'data-pick="{invoice.pk}"' in found.content.decode()


def test_each_button_lands_on_the_right_page(users, supplier, goods, client_for):
    """Ordering and receiving come back to the order; making the supplier's invoice opens the
    invoice (ordering once landed on a supplier invoice of the order's id: "not found")."""
    manager = users["manager"]
    order = purchase_order_create(
        actor=manager, data={"supplier": supplier, "warehouse": goods["warehouse"]}
    )
    lines_set(
        order,
        actor=manager,
        lines=[LineInput(product=goods["mouse"], quantity="2", unit_price="20")],
    )
    client = client_for(manager)
    back = f"/r/purchase-orders/{order.pk}/"
    assert client.post(f"/purchase-orders/{order.pk}/order/")["Location"] == back
    receive = {"warehouse": str(goods["warehouse"].pk)}
    assert client.post(f"/purchase-orders/{order.pk}/receive/", receive)["Location"] == back
    made = client.post(f"/purchase-orders/{order.pk}/supplier-invoice/", {"supplier_number": "7"})
    invoice = order.supplier_invoices.get()
    assert made["Location"] == f"/r/supplier-invoices/{invoice.pk}/"
    assert client.get(made["Location"]).status_code == 200


def test_quantities_read_as_people_write_them(users, supplier, goods, client_for):
    """Ten is "10" in the lines table, the receiving form and the lines editor — ``normalize``
    alone printed "1E+1"."""
    manager = users["manager"]
    order = purchase_order_create(
        actor=manager, data={"supplier": supplier, "warehouse": goods["warehouse"]}
    )
    lines_set(
        order,
        actor=manager,
        lines=[LineInput(product=goods["mouse"], quantity="10", unit_price="20")],
    )
    client = client_for(manager)
    page = client.get(f"/r/purchase-orders/{order.pk}/").content.decode()
    editor = client.get(f"/purchasing/purchase-orders/{order.pk}/lines/").content.decode()
    assert "1E+1" not in page + editor
    assert ">10<" in page
    assert 'value="10"' in editor

"""The lines page picks each row's product with the record picker (never a select of every
product), and saves the product a row names."""

import pytest

from kesher.purchasing.services import purchase_order_create

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

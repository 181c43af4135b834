"""The goods-receipt document (issue 17; decision 0118): each receiving of a purchase order,
whole or in part, makes a numbered goods receipt (GR-, gap-free per company) with what each
line took in and the serial numbers of serial-tracked units; read with its order on the pages
and the API, never written through them; a refused receiving makes none and spends no number."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from kesher.numbering.models import DocumentSequence
from kesher.purchasing.models import GoodsReceipt, GoodsReceiptLine
from kesher.purchasing.services import (
    LineInput,
    lines_set,
    purchase_order_create,
    purchase_order_order,
    purchase_order_receive,
)
from kesher.purchasing.tests.conftest import DAY
from kesher.stock.models import Serial
from kesher.stock.services import product_stock_set

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(users, supplier, goods):
    """Ten mice (serial-tracked), two cables and a delivery charge, ordered."""
    from kesher.catalogue.tests.factories import make_product

    manager, admin = users["manager"], users["admin"]
    product_stock_set(goods["mouse"], actor=admin, serial_tracked=True)
    cable = make_product(admin, name="כבל", sku="CBL-1", price="5.00")
    draft = purchase_order_create(
        actor=manager,
        data={"supplier": supplier, "doc_date": DAY, "warehouse": goods["warehouse"]},
    )
    lines_set(
        draft,
        actor=manager,
        lines=[
            LineInput(product=goods["mouse"], quantity="3", unit_price="20.00"),
            LineInput(product=cable, quantity="2", unit_price="5.00"),
            LineInput(name="משלוח", quantity="1", unit_price="50.00"),
        ],
    )
    return purchase_order_order(draft, actor=manager)


def test_each_receiving_makes_a_numbered_goods_receipt(users, goods, order):
    manager = users["manager"]
    first = purchase_order_receive(
        order, actor=manager, quantities={1: "2", 2: "2"}, serials={1: ["M-2", "M-1"]}
    )
    second = purchase_order_receive(order, actor=manager, serials={1: ["M-3"]})
    one, two = first.goods_receipt, second.goods_receipt
    assert (one.number, two.number) == ("GR-00001", "GR-00002")
    assert (one.purchase_order, one.supplier, one.warehouse, one.received_by) == (
        order,
        order.supplier,
        goods["warehouse"],
        manager,
    )
    assert [
        (line.position, line.order_line, line.quantity, line.serials)
        for line in GoodsReceiptLine.objects.filter(receipt=one)
    ] == [(1, 1, Decimal("2"), ["M-1", "M-2"]), (2, 2, Decimal("2"), [])]
    assert [
        (line.order_line, line.name, line.quantity, line.serials)
        for line in GoodsReceiptLine.objects.filter(receipt=two)
    ] == [(1, "עכבר", Decimal("1"), ["M-3"]), (3, "משלוח", Decimal("1"), [])]
    assert Serial.objects.filter(warehouse=goods["warehouse"]).count() == 3


def test_a_refused_receiving_makes_no_receipt_and_spends_no_number(users, order):
    manager = users["manager"]
    with translation.override("he"), pytest.raises(ValidationError, match="שורה 1"):
        purchase_order_receive(order, actor=manager, quantities={1: "2"}, serials={1: ["M-1"]})
    with pytest.raises(ValidationError):
        purchase_order_receive(order, actor=manager, quantities={1: "9"})
    assert not GoodsReceipt.objects.exists()
    assert not GoodsReceiptLine.objects.exists()
    received = purchase_order_receive(order, actor=manager, serials={1: ["A", "B", "C"]})
    assert received.goods_receipt.number == "GR-00001"
    # The series is data: an administrator's prefix is the next receipt's.
    DocumentSequence.objects.filter(doc_type="goods_receipt").update(prefix="קבלה-", width=3)
    assert DocumentSequence.objects.get(doc_type="goods_receipt").next_number == 2


def test_the_page_receives_with_serials_and_shows_the_receipt(users, goods, order, client_for):
    manager = users["manager"]
    client = client_for(manager)
    page = client.get(f"/r/purchase-orders/{order.pk}/").content.decode()
    assert 'name="serials_1"' in page
    assert 'name="serials_2"' not in page  # cables carry no serial numbers
    answer = client.post(
        f"/purchase-orders/{order.pk}/receive/",
        {
            "warehouse": str(goods["warehouse"].pk),
            "quantity_1": "2",
            "quantity_2": "0",
            "quantity_3": "0",
            "serials_1": "SN-A, SN-B",
        },
        follow=True,
    )
    assert "GR-00001" in answer.content.decode()
    receipt = GoodsReceipt.objects.get()
    assert receipt.lines.get().serials == ["SN-A", "SN-B"]
    shown = client.get(f"/r/purchase-orders/{order.pk}/").content.decode()
    assert f"/r/goods-receipts/{receipt.pk}/" in shown
    detail = client.get(f"/r/goods-receipts/{receipt.pk}/").content.decode()
    assert "SN-A, SN-B" in detail  # a list of serials reads as a list
    # Nobody writes a receipt through the generic routes.
    assert client.get("/r/goods-receipts/new/").status_code in (403, 404)


def test_the_api_receives_and_reads_the_receipt_in_hebrew(users, goods, order, api_for):
    api = api_for(users["manager"], language="he")
    answer = api.post(
        f"/api/v1/purchase-orders/{order.pk}/receive/",
        {"quantities": {"1": "1"}, "serials": {"1": ["Z-1"]}},
        format="json",
    )
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["goods_receipt_number"] == "GR-00001"
    receipt = api.get(f"/api/v1/goods-receipts/{body['goods_receipt']}/").json()
    assert (receipt["number"], receipt["purchase_order"]) == ("GR-00001", order.pk)
    lines = api.get("/api/v1/goods-receipt-lines/", {"receipt": body["goods_receipt"]}).json()
    assert [(row["order_line"], row["serials"]) for row in lines["results"]] == [(1, ["Z-1"])]
    refused = api.post(
        f"/api/v1/purchase-orders/{order.pk}/receive/",
        {"quantities": {"1": "1"}, "serials": {"1": ["Z-1"]}},
        format="json",
    )
    assert refused.status_code == 400
    assert "שורה 1" in refused.content.decode()
    assert GoodsReceipt.objects.count() == 1
    # A goods receipt is written only by receiving.
    assert api.post("/api/v1/goods-receipts/", {"number": "X"}, format="json").status_code in (
        403,
        405,
    )
    assert api.delete(f"/api/v1/goods-receipts/{body['goods_receipt']}/").status_code in (403, 405)
    # Whoever does not see the order does not see its receipt.
    rep = api_for(users["sales_rep"])
    assert rep.get(f"/api/v1/goods-receipts/{body['goods_receipt']}/").status_code in (403, 404)

"""A purchase order received in parts (issue 17; REQ SA-11, RE-3; decision 0092): part of the
ordered quantities now, the rest later; each line's ordered, received and outstanding
quantities; the order partly received, then received; stock follows each receipt; more than
what is outstanding is refused with nothing written."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from kesher.purchasing.models import PurchaseOrder
from kesher.purchasing.services import (
    LineInput,
    lines_set,
    purchase_order_create,
    purchase_order_order,
    purchase_order_receive,
)
from kesher.purchasing.tests.conftest import DAY
from kesher.stock.models import StockLevel, StockMove

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(users, supplier, goods):
    """Ten mice and a delivery charge, ordered."""
    manager = users["manager"]
    draft = purchase_order_create(
        actor=manager,
        data={"supplier": supplier, "doc_date": DAY, "warehouse": goods["warehouse"]},
    )
    lines_set(
        draft,
        actor=manager,
        lines=[
            LineInput(product=goods["mouse"], quantity="10", unit_price="20.00"),
            LineInput(name="משלוח", quantity="1", unit_price="50.00"),
        ],
    )
    return purchase_order_order(draft, actor=manager)


def _stock(goods) -> Decimal:
    level = StockLevel.objects.filter(warehouse=goods["warehouse"], product=goods["mouse"])
    return level.values_list("quantity", flat=True).first() or Decimal("0")


def _lines(order):
    return [(line.quantity, line.received, line.outstanding) for line in order.lines.all()]


def test_received_in_two_parts_stock_following_each(users, goods, order):
    manager = users["manager"]
    first = purchase_order_receive(order, actor=manager, quantities={1: "4"})
    assert first.status == PurchaseOrder.Status.PARTLY_RECEIVED
    assert _lines(order) == [
        (Decimal("10"), Decimal("4"), Decimal("6")),
        (Decimal("1"), Decimal("0"), Decimal("1")),
    ]
    assert _stock(goods) == 4
    second = purchase_order_receive(order, actor=manager, quantities={"1": "6", "2": "1"})
    assert second.status == PurchaseOrder.Status.RECEIVED
    assert _lines(order) == [
        (Decimal("10"), Decimal("10"), Decimal("0")),
        (Decimal("1"), Decimal("1"), Decimal("0")),
    ]
    assert _stock(goods) == 10
    moves = StockMove.objects.order_by("pk").values_list("quantity", "reference")
    assert list(moves) == [(Decimal("4"), order.number), (Decimal("6"), order.number)]
    with pytest.raises(ValidationError, match="ordered purchase order"):
        purchase_order_receive(order, actor=manager, quantities={1: "1"})


def test_without_quantities_everything_outstanding_is_received(users, goods, order):
    purchase_order_receive(order, actor=users["manager"], quantities={1: "3"})
    rest = purchase_order_receive(order, actor=users["manager"])
    assert rest.status == PurchaseOrder.Status.RECEIVED
    assert _stock(goods) == 10


@pytest.mark.parametrize(
    ("quantities", "message"),
    [
        ({1: "9"}, "9 is more than the 8 still to receive"),
        ({1: "-1"}, "zero or more"),
        ({1: "abc"}, "zero or more"),
        ({1: "NaN"}, "zero or more"),
        ({1: "1.0001"}, "at most 3 decimal places"),
        ({7: "1"}, "no line 7"),
        ({1: "0"}, "at least one line"),
        ({1: ""}, "at least one line"),
        ({1: "2", 2: "5"}, "5 is more than the 1 still to receive"),
    ],
)
def test_a_bad_receipt_is_refused_with_nothing_written(users, goods, order, quantities, message):
    purchase_order_receive(order, actor=users["manager"], quantities={1: "2"})
    with pytest.raises(ValidationError, match=message):
        purchase_order_receive(order, actor=users["manager"], quantities=quantities)
    order.refresh_from_db()
    assert order.status == PurchaseOrder.Status.PARTLY_RECEIVED
    assert _lines(order)[0] == (Decimal("10"), Decimal("2"), Decimal("8"))
    assert _stock(goods) == 2
    assert StockMove.objects.count() == 1


def test_the_history_says_what_each_receipt_took(users, goods, order, client_for):
    manager = users["manager"]
    manager.language = "en"
    manager.save(update_fields=["language"])
    purchase_order_receive(order, actor=manager, quantities={1: "4"})
    timeline = client_for(manager).get(f"/r/purchase-orders/{order.pk}/timeline/")
    text = timeline.content.decode()
    assert "Goods received" in text
    assert "#1: 4" in text


def test_the_api_receives_part_and_refuses_more_in_hebrew(users, goods, order, api_for):
    api = api_for(users["manager"], language="he")
    url = f"/api/v1/purchase-orders/{order.pk}/receive/"
    part = api.post(url, {"quantities": {"1": "4"}}, format="json")
    assert part.status_code == 200, part.content
    body = part.json()
    assert body["status"] == "partial"
    assert (body["lines"][0]["received"], body["lines"][0]["outstanding"]) == ("4.000", "6.000")
    too_much = api.post(url, {"quantities": {"1": "7"}}, format="json")
    assert too_much.status_code == 400
    assert "שעוד לא התקבלו" in too_much.content.decode()
    assert _stock(goods) == 4
    rest = api.post(url, {}, format="json")
    assert rest.json()["status"] == "received"
    assert rest.json()["lines"][0]["outstanding"] == "0.000"
    assert _stock(goods) == 10


def test_the_page_receives_part_and_shows_what_is_outstanding(users, goods, order, client_for):
    manager = users["manager"]
    manager.language = "en"
    manager.save(update_fields=["language"])
    client = client_for(manager)
    page = client.get(f"/r/purchase-orders/{order.pk}/").content.decode()
    assert 'id="receive-quantity-1"' in page
    assert 'value="10"' in page  # all outstanding, offered
    url = f"/purchase-orders/{order.pk}/receive/"
    form = {"warehouse": str(goods["warehouse"].pk), "quantity_1": "4", "quantity_2": ""}
    answer = client.post(url, form, follow=True)
    text = answer.content.decode()
    assert "the rest is still outstanding" in text
    assert '<td class="text-end line-received">4</td>' in text
    assert '<td class="text-end line-outstanding">6</td>' in text
    assert "Partly received" in text
    refused = client.post(url, {**form, "quantity_1": "9"}, follow=True).content.decode()
    assert "9 is more than the 6 still to receive" in refused
    assert _stock(goods) == 4

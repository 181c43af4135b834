"""The demo's stock (issue 17 item 4): a main warehouse and two vans with levels, a few moves,
a part used on a ticket with its serial number, and one low item."""

import pytest

from kesher.stock.models import Serial, StockLevel, StockMove, Warehouse

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_main_warehouse_two_vans_moves_and_one_low_item(loaded):
    assert Warehouse.objects.filter(kind="warehouse").count() == 1
    vans = Warehouse.objects.filter(kind="van")
    assert vans.count() == 2
    assert all(van.technician_id for van in vans)
    assert StockLevel.objects.filter(warehouse__in=vans, quantity__gt=0).exists()
    assert StockLevel.objects.filter(below_minimum=True).count() == 1
    kinds = set(StockMove.objects.values_list("kind", flat=True))
    assert {"receipt", "transfer", "part_use"} <= kinds
    used = Serial.objects.get(status="used")
    assert list(used.moves.order_by("pk").values_list("kind", flat=True)) == [
        "receipt",
        "transfer",
        "part_use",
    ]

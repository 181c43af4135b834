"""Built-in finance and stock reports (REQ RE-1, RE-3; decision 0103): income, credit notes and
money in by month from the tax documents; stock on hand by product and warehouse, below the
minimum, and the moves by month — each read as its reader, whose figures are those of the
records he may see. Stock levels and moves are read with their warehouses, written by the stock
services only."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kesher.billing.services import document_from_order, document_issue
from kesher.catalogue.tests.factories import make_product
from kesher.customers.tests.factories import make_account
from kesher.platform.access import can
from kesher.platform.models import FieldRule
from kesher.platform.records.services import record_create
from kesher.quotes.services import LineInput, order_confirm, order_create, order_set_lines
from kesher.reports import engine
from kesher.reports.models import Report
from kesher.stock.models import MoveKind, StockLevel, StockMove
from kesher.stock.services import minimum_set, move_create

pytestmark = pytest.mark.django_db


def _shipped(name: str) -> dict:
    return Report.objects.get(name=name, owner=None).definition


def _run(user, definition):
    return engine.run(engine.parse(definition, user), user)


@pytest.fixture
def invoices(users):
    """An issued tax invoice for each sales rep's own customer."""
    admin = users["admin"]
    product = make_product(admin, name="שירות", price="1000.00")
    made = {}
    for key in ("sales_rep", "sales_rep2"):
        owner = users[key]
        account = make_account(owner, name=f"לקוח של {key}")
        order = order_create(actor=owner, data={"name": "הזמנה", "account": account})
        lines = [LineInput(product=product.pk, quantity=Decimal("2"))]
        order = order_confirm(order_set_lines(order, actor=owner, lines=lines), actor=owner)
        made[key] = document_issue(
            document_from_order(order, actor=owner, kind="tax_invoice"), actor=owner
        )
    return made


def test_income_by_month_is_the_invoices_the_reader_sees(users, invoices):
    definition = _shipped("הכנסות לפי חודש")
    admin = _run(users["admin"], definition)
    assert sum(r.figures[0] for r in admin.rows) == sum(i.net_ils for i in invoices.values())
    # The manager's department (Sales) holds rep1, not rep2.
    manager = _run(users["manager"], definition)
    assert sum(r.figures[0] for r in manager.rows) == invoices["sales_rep"].net_ils
    for name in ("חשבוניות זיכוי לפי חודש", "תקבולים לפי חודש"):
        assert _run(users["manager"], _shipped(name)).rows == []


@pytest.fixture
def stocked(users):
    admin = users["admin"]
    main = record_create("warehouses", actor=admin, data={"name": "מחסן ראשי", "kind": "warehouse"})
    van = record_create(
        "warehouses",
        actor=admin,
        data={"name": "ניידת", "kind": "van", "technician": users["support_agent"]},
    )
    cable = make_product(admin, name="כבל", sku="CBL-9", cost_price="3")
    for warehouse, quantity in ((main, "10"), (van, "4")):
        move_create(
            actor=admin,
            kind=MoveKind.RECEIPT,
            product=cable,
            quantity=Decimal(quantity),
            to_warehouse=warehouse,
            unit_cost=Decimal("3"),
        )
    minimum_set(actor=admin, warehouse=van, product=cable, minimum=Decimal("5"))
    return {"main": main, "van": van, "cable": cable}


def test_stock_on_hand_by_product_and_warehouse_for_each_reader(users, stocked):
    definition = _shipped("מלאי לפי מוצר ומחסן")
    pivot = _run(users["sales_rep"], definition).pivot()
    assert pivot["columns"] == ["מחסן ראשי", "ניידת"]
    assert [c["value"] for c in pivot["rows"][0]["cells"]] == [Decimal("10"), Decimal("4")]
    # The technician sees his own van only.
    agent = _run(users["support_agent"], definition)
    assert [(r.groups[1].label, r.figures[0]) for r in agent.rows] == [("ניידת", Decimal("4"))]
    low = _run(users["manager"], _shipped("מלאי מתחת למינימום"))
    assert [(r.groups[0].label, r.figures) for r in low.rows] == [
        ("ניידת", [Decimal("4"), Decimal("5")])
    ]
    moves = _run(users["manager"], _shipped("תנועות מלאי לפי חודש וסוג"))
    assert [(r.groups[1].value, r.figures) for r in moves.rows] == [("receipt", [Decimal("14"), 2])]
    assert len(_run(users["support_agent"], _shipped("תנועות מלאי לפי חודש וסוג")).rows) == 1


def test_stock_is_read_with_its_warehouse_and_written_only_by_moves(users, stocked, client_for):
    for key in ("stock-on-hand", "stock-ledger"):
        for role in ("admin", "manager", "sales_rep", "support_agent"):
            assert can(users[role], key, "view") == can(users[role], "warehouses", "view")
            assert not can(users[role], key, "add")
            assert not can(users[role], key, "change")
    agent = client_for(users["support_agent"])
    rows = agent.get("/api/v1/stock-on-hand/").json()["results"]
    assert {row["warehouse"] for row in rows} == {stocked["van"].pk}
    main_level = StockLevel.objects.get(warehouse=stocked["main"])
    assert agent.get(f"/api/v1/stock-on-hand/{main_level.pk}/").status_code == 404
    before = StockMove.objects.count()
    admin = client_for(users["admin"])
    body = {"kind": "adjustment", "product": stocked["cable"].pk, "quantity": "1"}
    assert admin.post("/api/v1/stock-ledger/", body).status_code == 403
    assert StockMove.objects.count() == before
    # A move's unit cost is hidden with the products' cost price.
    FieldRule.objects.create(entity="products", field="cost_price", hidden_roles=["manager"])
    move = StockMove.objects.filter(to_warehouse=stocked["van"]).get()
    assert (
        "unit_cost"
        not in client_for(users["manager"]).get(f"/api/v1/stock-ledger/{move.pk}/").json()
    )

"""Serial-tracked goods returned to a supplier by his credit note (issue 17; decision 0118):
the note's lines name the serial numbers going back; recorded, the return move takes exactly
those units out of the warehouse. Bad choices are refused when the note is made, nothing
written."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from kesher.purchasing.models import SupplierInvoice
from kesher.purchasing.services import (
    LineInput,
    lines_set,
    supplier_credit_note_for,
    supplier_invoice_create,
    supplier_invoice_record,
)
from kesher.stock.models import MoveKind, Serial, StockLevel, StockMove
from kesher.stock.services import move_create, product_stock_set

pytestmark = pytest.mark.django_db


@pytest.fixture
def tracked(users, supplier, goods):
    """Five mice with serial numbers in the warehouse, and the supplier's recorded invoice for
    them (line 1) with a delivery charge (line 2)."""
    admin, manager, mouse = users["admin"], users["manager"], goods["mouse"]
    product_stock_set(mouse, actor=admin, serial_tracked=True)
    move_create(
        actor=admin,
        kind=MoveKind.RECEIPT,
        product=mouse,
        quantity=Decimal("5"),
        to_warehouse=goods["warehouse"],
        serials=[f"SN-{n}" for n in range(1, 6)],
    )
    invoice = supplier_invoice_create(
        actor=manager, data={"supplier": supplier, "supplier_number": "S-1"}
    )
    invoice = lines_set(
        invoice,
        actor=manager,
        lines=[
            LineInput(product=mouse, name="עכבר", quantity="5", unit_price="20"),
            LineInput(name="משלוח", quantity="1", unit_price="30"),
        ],
    )
    return supplier_invoice_record(invoice, actor=manager)


def _where(number: str) -> tuple:
    serial = Serial.objects.get(number=number)
    return serial.status, serial.warehouse_id


def test_the_pages_send_back_the_serials_named(users, goods, tracked, client_for):
    manager, warehouse = users["manager"], goods["warehouse"]
    page = client_for(manager).get(f"/r/supplier-invoices/{tracked.pk}/").content.decode()
    assert 'name="serials_1"' in page
    assert 'name="serials_2"' not in page  # the delivery charge has no serial numbers
    client_for(manager).post(
        f"/supplier-invoices/{tracked.pk}/credit-note/",
        {
            "supplier_number": "CN-S1",
            "position": ["1"],
            "quantity_1": "2",
            "serials_1": "SN-4\nSN-2 ",
            "return_warehouse": str(warehouse.pk),
        },
    )
    note = SupplierInvoice.objects.get(supplier_number="CN-S1")
    assert list(note.lines.values_list("serials", flat=True)) == [["SN-4", "SN-2"]]
    shown = client_for(manager).get(f"/r/supplier-invoices/{note.pk}/").content.decode()
    assert "SN-4, SN-2" in shown
    supplier_invoice_record(note, actor=manager)
    move = StockMove.objects.get(kind=MoveKind.TO_SUPPLIER)
    assert sorted(move.serials.values_list("number", flat=True)) == ["SN-2", "SN-4"]
    assert _where("SN-2") == (Serial.Status.RETURNED, None)
    assert _where("SN-4") == (Serial.Status.RETURNED, None)
    for kept in ("SN-1", "SN-3", "SN-5"):
        assert _where(kept) == (Serial.Status.IN_STOCK, warehouse.pk)
    assert StockLevel.objects.get(warehouse=warehouse).quantity == Decimal("3")


def test_the_api_sends_back_serials_by_line(users, goods, tracked, api_for):
    api = api_for(users["manager"], language="he")
    url = f"/api/v1/supplier-invoices/{tracked.pk}/credit-note/"
    body = {
        "supplier_number": "CN-S2",
        "return_warehouse": goods["warehouse"].pk,
        "lines": [{"position": 1, "quantity": "1", "serials": ["SN-5"]}],
    }
    made = api.post(url, body, format="json")
    assert made.status_code == 201, made.content
    assert made.json()["lines"][0]["serials"] == ["SN-5"]
    assert made.json()["lines"][0]["source_line"] == 1
    recorded = api.post(f"/api/v1/supplier-invoices/{made.json()['id']}/record/")
    assert recorded.status_code == 200, recorded.content
    assert _where("SN-5") == (Serial.Status.RETURNED, None)
    # SN-5 has gone: naming it again is refused in Hebrew, nothing written.
    body["supplier_number"] = "CN-S3"
    again = api.post(url, body, format="json")
    assert again.status_code == 400
    refusal = again.content.decode()
    assert "שורה 1" in refusal
    assert "SN-5" in refusal
    assert not SupplierInvoice.objects.filter(supplier_number="CN-S3").exists()


@pytest.mark.parametrize(
    ("quantities", "serials", "warehouse", "message"),
    [
        ({1: Decimal("2")}, {1: ["SN-1"]}, True, "Line 1: name one serial number for each unit"),
        ({1: Decimal("2")}, {}, True, "Line 1: name one serial number for each unit"),
        ({1: Decimal("1")}, {1: ["SN-99"]}, True, "Line 1: not in"),
        ({1: Decimal("2")}, {1: ["SN-1", "SN-1"]}, True, "named twice"),
        ({1: Decimal("1")}, {1: ["SN-1"]}, False, "serial numbers go back only"),
        ({1: Decimal("1"), 2: Decimal("1")}, {1: ["SN-1"], 2: ["X"]}, True, "Line 2: serial"),
        ({1: Decimal("1")}, {1: ["SN-1"], 3: ["SN-2"]}, True, "Line 3 is not credited"),
    ],
)
def test_a_bad_choice_of_serials_is_refused_with_nothing_written(
    users, goods, tracked, quantities, serials, warehouse, message
):
    before = SupplierInvoice.objects.count()
    with pytest.raises(ValidationError, match=message):
        supplier_credit_note_for(
            tracked,
            actor=users["manager"],
            supplier_number="CN-BAD",
            quantities=quantities,
            serials=serials,
            return_warehouse=goods["warehouse"] if warehouse else None,
        )
    assert SupplierInvoice.objects.count() == before
    assert Serial.objects.filter(status=Serial.Status.IN_STOCK).count() == 5


def test_a_serial_taken_since_the_note_was_made_refuses_the_recording(users, goods, tracked):
    """The recording's move checks the serials again: one delivered meanwhile refuses it, in
    Hebrew, naming the line, with nothing recorded."""
    manager, warehouse, mouse = users["manager"], goods["warehouse"], goods["mouse"]
    note = supplier_credit_note_for(
        tracked,
        actor=manager,
        supplier_number="CN-S4",
        quantities={1: Decimal("1")},
        serials={1: ["SN-3"]},
        return_warehouse=warehouse,
    )
    move_create(
        actor=users["admin"],
        kind=MoveKind.DELIVERY,
        product=mouse,
        quantity=Decimal("1"),
        from_warehouse=warehouse,
        serials=["SN-3"],
    )
    with translation.override("he"), pytest.raises(ValidationError, match="שורה 1"):
        supplier_invoice_record(note, actor=manager)
    note.refresh_from_db()
    assert note.status == "draft"
    assert not StockMove.objects.filter(kind=MoveKind.TO_SUPPLIER).exists()
    assert _where("SN-3") == (Serial.Status.DELIVERED, None)

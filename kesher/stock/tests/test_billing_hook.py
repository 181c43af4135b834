"""A delivery note issued moves its goods out of the chosen warehouse; a credit note that
returns goods moves them back (issue 17 item 4; decision 0083: the hook in billing's issue)."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from kesher.billing.models import TaxDocument
from kesher.billing.services import credit_note_for, document_from_order, document_issue
from kesher.stock.models import MoveKind, Serial, StockLevel, StockMove
from kesher.stock.services import document_choice_set, product_stock_set

pytestmark = pytest.mark.django_db


def quantity(warehouse, product):
    return StockLevel.objects.get(warehouse=warehouse, product=product).quantity


def test_a_delivery_note_issued_takes_its_goods_from_the_chosen_warehouse(
    users, stock, receive, catalogue, business, make_order
):
    laptop = catalogue["laptop"]
    receive(laptop, stock["van"], 10)
    rep = users["sales_rep"]
    note = document_from_order(make_order(business, "4"), actor=rep, kind="delivery_note")
    document_choice_set(note, actor=users["admin"], warehouse=stock["van"], serials={})
    document_issue(note, actor=rep)
    move = StockMove.objects.get(document=note)
    assert (move.kind, move.quantity, move.from_warehouse) == (
        MoveKind.DELIVERY,
        Decimal("4"),
        stock["van"],
    )
    assert quantity(stock["van"], laptop) == 6


def test_not_enough_stock_refuses_the_issue_and_keeps_the_draft_and_its_number(
    users, stock, receive, catalogue, business, make_order
):
    laptop = catalogue["laptop"]
    receive(laptop, stock["main"], 1)
    stock["main"].is_default = True
    stock["main"].save(update_fields=["is_default"])
    rep = users["sales_rep"]
    note = document_from_order(make_order(business, "3"), actor=rep, kind="delivery_note")
    with pytest.raises(ValidationError, match=r"Line 1: .*holds only 1"):
        document_issue(note, actor=rep)
    note.refresh_from_db()
    assert (note.status, note.number) == (TaxDocument.Status.DRAFT, "")
    assert not StockMove.objects.filter(document=note).exists()
    receive(laptop, stock["main"], 2)
    document_issue(note, actor=rep)  # the default warehouse ships it, with the first number
    assert quantity(stock["main"], laptop) == 0


def test_a_delivery_note_names_the_serials_it_delivers_and_a_credit_note_returns_them(
    users, stock, receive, catalogue, business, make_order
):
    laptop = catalogue["laptop"]
    admin, rep = users["admin"], users["sales_rep"]
    product_stock_set(laptop, actor=admin, serial_tracked=True)
    receive(laptop, stock["main"], 2, ["L-1", "L-2"])
    note = document_from_order(make_order(business, "1"), actor=rep, kind="delivery_note")
    document_choice_set(note, actor=admin, warehouse=stock["main"], serials={})
    with pytest.raises(ValidationError, match="serial number"):
        document_issue(note, actor=rep)
    document_choice_set(note, actor=admin, warehouse=stock["main"], serials={"1": ["L-2"]})
    document_issue(note, actor=rep)
    assert Serial.objects.get(number="L-2").status == Serial.Status.DELIVERED

    invoice = document_from_order(make_order(business, "1"), actor=rep, kind="tax_invoice")
    invoice = document_issue(invoice, actor=rep)
    credit = credit_note_for(invoice, actor=rep)
    document_choice_set(credit, actor=admin, warehouse=stock["van"], serials={"1": ["L-2"]})
    document_issue(credit, actor=rep)
    returned = Serial.objects.get(number="L-2")
    assert (returned.status, returned.warehouse) == (Serial.Status.IN_STOCK, stock["van"])
    assert StockMove.objects.get(document=credit).kind == MoveKind.RETURN


def test_a_credit_note_without_a_warehouse_returns_nothing_and_no_warehouse_moves_nothing(
    users, stock, catalogue, business, make_order
):
    """A price correction returns no goods; a business that keeps no stock (no warehouse
    ships delivery notes) issues delivery notes as before."""
    rep = users["sales_rep"]
    invoice = document_from_order(make_order(business, "1"), actor=rep, kind="tax_invoice")
    invoice = document_issue(invoice, actor=rep)
    document_issue(credit_note_for(invoice, actor=rep), actor=rep)
    note = document_from_order(make_order(business, "2"), actor=rep, kind="delivery_note")
    document_issue(note, actor=rep)
    assert not StockMove.objects.exists()


def test_the_warehouse_is_chosen_on_drafts_of_delivery_and_credit_notes_only(
    users, stock, business, make_order
):
    rep = users["sales_rep"]
    invoice = document_from_order(make_order(business, "1"), actor=rep, kind="tax_invoice")
    with pytest.raises(ValidationError, match="Only delivery notes"):
        document_choice_set(invoice, actor=users["admin"], warehouse=stock["main"], serials={})
    note = document_from_order(make_order(business, "1"), actor=rep, kind="delivery_note")
    with pytest.raises(ValidationError, match="Choose a warehouse"):
        # the support agent sees his own van only
        document_choice_set(note, actor=users["support_agent"], warehouse=stock["main"], serials={})

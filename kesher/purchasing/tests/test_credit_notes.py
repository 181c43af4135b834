"""Supplier credit notes (issue 17; ISRAEL.md: a credit note is the only correction of an
issued invoice; decision 0092): against a recorded supplier invoice, whole or some of its
lines, under the supplier's own number; recorded, it reduces what we owe on the invoice and
shows on the supplier's payables."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from kesher.purchasing.models import SupplierInvoice
from kesher.purchasing.selectors import payables_of
from kesher.purchasing.services import (
    LineInput,
    lines_set,
    supplier_credit_note_for,
    supplier_invoice_create,
    supplier_invoice_record,
    supplier_invoice_update,
    supplier_payment_create,
)
from kesher.purchasing.tests.test_payables import recorded_invoice

pytestmark = pytest.mark.django_db


def test_a_credit_note_of_some_lines_reduces_the_balance(users, supplier):
    manager = users["manager"]
    invoice = recorded_invoice(users, supplier)  # 1,000 + 100, VAT 18%: 1,298
    note = supplier_credit_note_for(invoice, actor=manager, supplier_number="CN-5", positions=[2])
    assert (note.kind, note.credited_invoice, note.status) == ("credit_note", invoice, "draft")
    assert [(line.source_line, line.name) for line in note.lines.all()] == [(2, "ניקיון")]
    assert note.total == Decimal("118.00")
    invoice.refresh_from_db()
    assert invoice.balance == Decimal("1298.00")  # a draft credits nothing yet
    supplier_invoice_record(note, actor=manager)
    invoice.refresh_from_db()
    assert (invoice.credited, invoice.balance) == (Decimal("118.00"), Decimal("1180.00"))
    payables = payables_of(supplier, manager)
    assert (payables.open_balance, payables.credited, payables.open_count) == (
        Decimal("1180.00"),
        Decimal("118.00"),
        1,
    )
    # The rest, credited whole: nothing is owed, to the agora.
    rest = supplier_credit_note_for(invoice, actor=manager, supplier_number="CN-6")
    assert [line.source_line for line in rest.lines.all()] == [1]
    supplier_invoice_record(rest, actor=manager)
    invoice.refresh_from_db()
    assert (invoice.credited, invoice.balance) == (invoice.total, Decimal("0"))
    with pytest.raises(ValidationError, match="credited already"):
        supplier_credit_note_for(invoice, actor=manager, supplier_number="CN-7")


def test_a_foreign_credit_note_takes_its_invoice_rate(users, supplier, goods):
    from decimal import Decimal as D

    invoice = recorded_invoice(users, supplier, currency="USD", exchange_rate=D("3.8"))
    note = supplier_credit_note_for(invoice, actor=users["manager"], supplier_number="CN-1")
    note = supplier_invoice_record(note, actor=users["manager"])
    assert (note.exchange_rate, note.total_ils) == (D("3.8"), invoice.total_ils)
    assert payables_of(supplier, users["manager"]).credited == invoice.total_ils


@pytest.mark.parametrize(
    ("positions", "number", "message"),
    [
        ([], "CN-1", "at least one line"),
        ([3], "CN-1", "Line 3 cannot be credited"),
        (None, "", "number on the supplier's credit note"),
        (None, "A-1", "recorded already"),
    ],
)
def test_a_bad_credit_note_is_refused_with_nothing_written(
    users, supplier, positions, number, message
):
    invoice = recorded_invoice(users, supplier)
    with pytest.raises(ValidationError, match=message):
        supplier_credit_note_for(
            invoice, actor=users["manager"], supplier_number=number, positions=positions
        )
    assert not SupplierInvoice.objects.filter(kind="credit_note").exists()


def test_what_a_credit_note_may_not_do(users, supplier):
    manager = users["manager"]
    invoice = recorded_invoice(users, supplier)
    note = supplier_credit_note_for(invoice, actor=manager, supplier_number="CN-1")
    with pytest.raises(ValidationError, match="credited invoice's lines"):
        lines_set(note, actor=manager, lines=[LineInput(name="x", quantity="9", unit_price="9")])
    with pytest.raises(ValidationError, match="keeps its invoice's supplier"):
        supplier_invoice_update(note, actor=manager, data={"currency": "USD"})
    supplier_invoice_update(note, actor=manager, data={"notes": "returned goods"})
    with pytest.raises(ValidationError, match="recorded supplier invoice is credited"):
        supplier_credit_note_for(note, actor=manager, supplier_number="CN-2")
    note = supplier_invoice_record(note, actor=manager)
    with pytest.raises(ValidationError, match="recorded supplier invoice"):
        supplier_payment_create(
            actor=manager, data={"invoice": note, "means": "cash", "amount": Decimal("1")}
        )


def test_crediting_what_was_paid_frees_it_as_an_open_credit(users, supplier):
    """The invoice was paid in full when the supplier credited part of it: that much of the
    payment pays nothing any more — an open credit with the supplier, allocated later."""
    manager = users["manager"]
    invoice = recorded_invoice(users, supplier)
    payment = supplier_payment_create(
        actor=manager, data={"invoice": invoice, "means": "cash", "amount": Decimal("1298")}
    )
    note = supplier_credit_note_for(invoice, actor=manager, supplier_number="CN-1", positions=[2])
    supplier_invoice_record(note, actor=manager)
    invoice.refresh_from_db()
    payment.refresh_from_db()
    assert (invoice.credited, invoice.paid, invoice.balance) == (Decimal("118"), Decimal("1180"), 0)
    assert (payment.allocated, payment.open_credit, payment.invoice) == (
        Decimal("1180.00"),
        Decimal("118.00"),
        None,
    )
    payables = payables_of(supplier, manager)
    assert (payables.open_balance, payables.open_credit) == (0, Decimal("118.00"))


def test_the_api_credits_and_records_in_hebrew(users, supplier, api_for):
    invoice = recorded_invoice(users, supplier)
    api = api_for(users["manager"], language="he")
    url = f"/api/v1/supplier-invoices/{invoice.pk}/credit-note/"
    made = api.post(url, {"supplier_number": "CN-9", "positions": [1]}, format="json")
    assert made.status_code == 201, made.content
    body = made.json()
    assert (body["kind"], body["credited_invoice"], body["total"]) == (
        "credit_note",
        invoice.pk,
        "1180.00",
    )
    again = api.post(url, {"supplier_number": "CN-10", "positions": [1]}, format="json")
    assert again.status_code == 400
    assert "זוכתה כבר" in again.content.decode()
    recorded = api.post(f"/api/v1/supplier-invoices/{body['id']}/record/")
    assert recorded.json()["status"] == "recorded"
    payables = api.get(f"/api/v1/accounts/{supplier.pk}/payables/").json()
    assert (payables["open_balance"], payables["credited"]) == ("118.00", "1180.00")
    rep = api_for(users["sales_rep"]).post(url, {"supplier_number": "X"}, format="json")
    assert rep.status_code in (403, 404)


def test_the_pages_credit_a_line_and_show_it(users, supplier, client_for):
    manager = users["manager"]
    manager.language = "en"
    manager.save(update_fields=["language"])
    invoice = recorded_invoice(users, supplier)
    client = client_for(manager)
    page = client.get(f"/r/supplier-invoices/{invoice.pk}/").content.decode()
    assert 'id="credit-line-2"' in page
    made = client.post(
        f"/supplier-invoices/{invoice.pk}/credit-note/",
        {"supplier_number": "CN-3", "position": ["2"]},
    )
    note = SupplierInvoice.objects.get(kind="credit_note")
    assert made["Location"] == f"/r/supplier-invoices/{note.pk}/"
    shown = client.get(made["Location"]).content.decode()
    assert "Supplier credit note CN-3" in shown
    assert 'id="supplier-invoice-record"' in shown
    assert 'id="supplier-invoice-pay"' not in shown
    client.post(f"/supplier-invoices/{note.pk}/record/")
    invoice.refresh_from_db()
    assert invoice.balance == Decimal("1180.00")
    account = client.get(f"/r/accounts/{supplier.pk}/").content.decode()
    assert 'id="payables-credited"' in account
    for url in (
        f"/r/supplier-invoices/{invoice.pk}/timeline/",
        f"/r/accounts/{supplier.pk}/timeline/",
    ):
        assert "Supplier credit note CN-3" in client.get(url).content.decode()
    refused = client.post(
        f"/supplier-invoices/{invoice.pk}/credit-note/",
        {"supplier_number": "CN-4", "position": ["2"]},
        follow=True,
    ).content.decode()
    assert "cannot be credited" in refused


def test_part_of_a_lines_quantity_is_credited_then_the_rest(users, supplier, client_for, api_for):
    """Goods partly returned: the supplier credits 3 of the 7 units on a line, its amounts in
    proportion; what is left is credited later, and the credits add up to the line exactly."""
    manager = users["manager"]
    invoice = supplier_invoice_create(
        actor=manager, data={"supplier": supplier, "supplier_number": "P-1"}
    )
    invoice = lines_set(
        invoice,
        actor=manager,
        lines=[LineInput(name="כבל", quantity="7", unit_price="10.01", vat_rate="18")],
    )
    invoice = supplier_invoice_record(invoice, actor=manager)
    client = client_for(manager)
    page = client.get(f"/r/supplier-invoices/{invoice.pk}/").content.decode()
    assert 'name="quantity_1" value="7"' in page
    client.post(
        f"/supplier-invoices/{invoice.pk}/credit-note/",
        {"supplier_number": "CN-P1", "position": ["1"], "quantity_1": "3"},
    )
    first = SupplierInvoice.objects.get(supplier_number="CN-P1")
    line = first.lines.get()
    assert (line.quantity, line.net) == (Decimal("3"), Decimal("30.03"))
    supplier_invoice_record(first, actor=manager)
    for quantity in ("5", "0"):  # 4 are left
        with translation.override("en"), pytest.raises(ValidationError, match="up to 4"):
            supplier_credit_note_for(
                invoice, actor=manager, supplier_number="X", quantities={1: Decimal(quantity)}
            )
    made = api_for(manager).post(
        f"/api/v1/supplier-invoices/{invoice.pk}/credit-note/",
        {"supplier_number": "CN-P2", "lines": [{"position": 1, "quantity": "4"}]},
        format="json",
    )
    assert made.status_code == 201, made.content
    rest = SupplierInvoice.objects.get(pk=made.json()["id"])
    supplier_invoice_record(rest, actor=manager)
    invoice.refresh_from_db()
    assert first.total + rest.total == invoice.total
    assert (invoice.credited, invoice.balance) == (invoice.total, Decimal("0"))


def test_goods_sent_back_leave_the_warehouse_when_the_credit_note_is_recorded(
    users, supplier, goods, client_for
):
    """A supplier's credit note for goods returned names the warehouse they leave: recorded, it
    moves them out ("return to a supplier"); more than the warehouse holds is refused, with
    nothing recorded."""
    from kesher.stock.models import MoveKind, StockLevel, StockMove
    from kesher.stock.services import move_create

    manager, mouse, warehouse = users["manager"], goods["mouse"], goods["warehouse"]
    move_create(
        actor=users["admin"],
        kind=MoveKind.RECEIPT,
        product=mouse,
        quantity=Decimal("10"),
        to_warehouse=warehouse,
    )
    invoice = supplier_invoice_create(
        actor=manager, data={"supplier": supplier, "supplier_number": "G-1"}
    )
    invoice = lines_set(
        invoice,
        actor=manager,
        lines=[
            LineInput(product=mouse, name="עכבר", quantity="10", unit_price="20"),
            LineInput(name="משלוח", quantity="1", unit_price="30"),
        ],
    )
    invoice = supplier_invoice_record(invoice, actor=manager)
    page = client_for(manager).get(f"/r/supplier-invoices/{invoice.pk}/").content.decode()
    assert 'id="credit-return-warehouse"' in page
    made = client_for(manager).post(
        f"/supplier-invoices/{invoice.pk}/credit-note/",
        {
            "supplier_number": "CN-G1",
            "position": ["1", "2"],
            "quantity_1": "4",
            "return_warehouse": str(warehouse.pk),
        },
    )
    note = SupplierInvoice.objects.get(supplier_number="CN-G1")
    assert made["Location"] == f"/r/supplier-invoices/{note.pk}/"
    assert note.return_warehouse == warehouse
    supplier_invoice_record(note, actor=manager)
    move = StockMove.objects.get(kind=MoveKind.TO_SUPPLIER)
    assert (move.product, move.quantity, move.from_warehouse, move.to_warehouse) == (
        mouse,
        Decimal("4"),
        warehouse,
        None,
    )
    assert move.reference == "CN-G1"
    assert StockLevel.objects.get(warehouse=warehouse, product=mouse).quantity == Decimal("6")
    # The rest of the mice: the warehouse holds 6, the note sends 6 — then nothing is left to
    # credit. A note sending more than is held is refused, nothing recorded.
    move_create(
        actor=users["admin"],
        kind=MoveKind.ADJUSTMENT,
        product=mouse,
        quantity=Decimal("5"),
        from_warehouse=warehouse,
        reason="ספירה",
    )
    rest = supplier_credit_note_for(
        invoice,
        actor=manager,
        supplier_number="CN-G2",
        positions=[1],
        return_warehouse=warehouse,
    )
    with translation.override("he"), pytest.raises(ValidationError, match="שורה 1: במחסן יש רק 1"):
        supplier_invoice_record(rest, actor=manager)
    rest.refresh_from_db()
    assert rest.status == "draft"
    assert StockMove.objects.filter(kind=MoveKind.TO_SUPPLIER).count() == 1

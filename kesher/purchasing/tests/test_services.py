"""Purchase orders, supplier invoices and supplier payments (issue 17 items 1, 4, 5; REQ SA-10,
SA-11, RE-1; decision 0087)."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from kesher.purchasing.models import PurchaseOrder, SupplierInvoice
from kesher.purchasing.services import (
    LineInput,
    lines_set,
    purchase_order_create,
    purchase_order_order,
    purchase_order_receive,
    purchase_order_update,
    supplier_invoice_create,
    supplier_invoice_from_order,
    supplier_invoice_record,
    supplier_invoice_update,
    supplier_payment_create,
    supplier_payment_delete,
    supplier_payment_update,
)
from kesher.purchasing.tests.conftest import DAY
from kesher.stock.models import MoveKind, StockLevel, StockMove

pytestmark = pytest.mark.django_db


def _order(users, supplier, goods, quantity="10"):
    manager = users["manager"]
    order = purchase_order_create(
        actor=manager,
        data={"supplier": supplier, "doc_date": DAY, "warehouse": goods["warehouse"]},
    )
    return lines_set(
        order,
        actor=manager,
        lines=[
            LineInput(product=goods["mouse"], quantity=quantity, unit_price="20.00"),
            LineInput(name="משלוח", quantity="1", unit_price="50.00"),
        ],
    )


def _invoice(users, supplier, number="A-1", currency="ILS", **data):
    manager = users["manager"]
    invoice = supplier_invoice_create(
        actor=manager,
        data={
            "supplier": supplier,
            "supplier_number": number,
            "doc_date": DAY,
            "currency": currency,
            **data,
        },
    )
    invoice = lines_set(
        invoice, actor=manager, lines=[LineInput(name="שכירות", quantity="1", unit_price="1000")]
    )
    return supplier_invoice_record(invoice, actor=manager)


def test_lines_take_the_vat_rate_of_the_date_per_line_sa10(users, supplier, goods):
    order = _order(users, supplier, goods)
    lines = list(order.lines.order_by("position"))
    assert [line.vat_rate for line in lines] == [Decimal("18.00"), Decimal("18.00")]
    assert (order.net, order.vat, order.total) == (
        Decimal("250.00"),
        Decimal("45.00"),
        Decimal("295.00"),
    )
    zero = lines_set(
        order,
        actor=users["manager"],
        lines=[LineInput(name="פטור", quantity="2", unit_price="10", vat_rate="0")],
    )
    assert (zero.net, zero.vat, zero.total) == (Decimal("20.00"), 0, Decimal("20.00"))


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ({"name": "x", "quantity": "0", "unit_price": "1"}, "quantity above zero"),
        ({"name": "x", "quantity": "-1", "unit_price": "1"}, "zero or more"),
        ({"name": "x", "quantity": "1", "unit_price": "NaN"}, "zero or more"),
        ({"name": "x", "quantity": "1", "unit_price": "1.001"}, "decimal places"),
        ({"name": "x", "quantity": "1", "unit_price": "1", "vat_rate": "100"}, "zero or more"),
        ({"name": "  \x00", "quantity": "1", "unit_price": "1"}, "describe it"),
        ({"name": "x", "quantity": "1"}, "enter the unit price"),
        ({"name": "x", "unit_price": "1"}, "quantity above zero"),
    ],
)
def test_bad_lines_are_refused_with_nothing_written(users, supplier, goods, line, message):
    order = _order(users, supplier, goods)
    with pytest.raises(ValidationError) as error:
        lines_set(order, actor=users["manager"], lines=[LineInput(**line)])
    assert message in str(error.value)
    assert order.lines.count() == 2
    order.refresh_from_db()
    assert order.total == Decimal("295.00")


def test_hostile_text_is_kept_as_text(users, supplier, goods):
    order = _order(users, supplier, goods)
    hostile = '<script>alert(1)</script>=HYPERLINK("x")'
    lines_set(
        order,
        actor=users["manager"],
        lines=[LineInput(name=hostile, quantity="1", unit_price="1")],
    )
    assert order.lines.get().name == hostile


def test_ordering_numbers_gap_free_and_locks_sa10(users, supplier, goods):
    first = purchase_order_order(_order(users, supplier, goods), actor=users["manager"])
    second = purchase_order_order(_order(users, supplier, goods), actor=users["manager"])
    assert (first.number, second.number) == ("PO-00001", "PO-00002")
    assert (first.number_value, second.number_value) == (1, 2)
    with pytest.raises(ValidationError, match="locked"):
        purchase_order_update(first, actor=users["manager"], data={"name": "changed"})
    with pytest.raises(ValidationError, match="locked"):
        lines_set(first, actor=users["manager"], lines=[LineInput(name="x", quantity="1")])
    with pytest.raises(ValidationError, match="locked"):
        purchase_order_order(first, actor=users["manager"])


def test_an_empty_draft_is_not_ordered_and_takes_no_number(users, supplier):
    empty = purchase_order_create(actor=users["manager"], data={"supplier": supplier})
    with pytest.raises(ValidationError, match="at least one line"):
        purchase_order_order(empty, actor=users["manager"])
    empty.refresh_from_db()
    assert (empty.status, empty.number) == ("draft", "")


def test_a_rolled_back_order_gives_its_number_back(users, supplier, goods):
    order = _order(users, supplier, goods)

    def crash():
        with transaction.atomic():
            purchase_order_order(order, actor=users["manager"])
            raise RuntimeError("crash mid-issue")

    with pytest.raises(RuntimeError):
        crash()
    again = purchase_order_order(order, actor=users["manager"])
    assert again.number == "PO-00001"


def test_receiving_moves_the_goods_into_the_warehouse_sa11(users, supplier, goods):
    order = purchase_order_order(_order(users, supplier, goods), actor=users["manager"])
    received = purchase_order_receive(order, actor=users["manager"])
    assert received.status == PurchaseOrder.Status.RECEIVED
    move = StockMove.objects.get()  # the shipping line is not goods: no move
    assert (move.kind, move.quantity, move.unit_cost, move.reference) == (
        MoveKind.RECEIPT,
        Decimal("10.000"),
        Decimal("20.00"),
        "PO-00001",
    )
    level = StockLevel.objects.get(warehouse=goods["warehouse"], product=goods["mouse"])
    assert level.quantity == Decimal("10")
    with pytest.raises(ValidationError, match="ordered purchase order"):
        purchase_order_receive(received, actor=users["manager"])
    assert StockMove.objects.count() == 1


def test_a_draft_is_not_received(users, supplier, goods):
    with pytest.raises(ValidationError):
        purchase_order_receive(_order(users, supplier, goods), actor=users["manager"])
    assert not StockMove.objects.exists()


def test_the_supplier_invoice_keeps_the_chain_sa10(users, supplier, goods):
    order = purchase_order_order(_order(users, supplier, goods), actor=users["manager"])
    invoice = supplier_invoice_from_order(order, actor=users["manager"], supplier_number="INV-77")
    assert invoice.purchase_order == order
    assert invoice.supplier == supplier
    assert invoice.lines.count() == 2
    assert invoice.total == order.total
    with pytest.raises(ValidationError, match="recorded already"):
        supplier_invoice_from_order(order, actor=users["manager"], supplier_number="inv-77")


def test_recording_sets_shekels_due_date_and_locks(users, supplier, goods):
    from kesher.billing.models import PaymentTerms

    terms = PaymentTerms.objects.create(name="שוטף+30", basis="eom", days=30)
    invoice = _invoice(users, supplier, currency="USD", payment_terms=terms)
    assert invoice.exchange_rate == Decimal("3.7")
    assert (invoice.total, invoice.total_ils) == (Decimal("1180.00"), Decimal("4366.00"))
    assert invoice.due_date.isoformat() == "2027-01-30"
    assert invoice.balance == invoice.total
    with pytest.raises(ValidationError, match="locked"):
        supplier_invoice_update(invoice, actor=users["manager"], data={"notes": "x"})


def test_the_rate_printed_by_the_supplier_wins(users, supplier, goods):
    invoice = _invoice(users, supplier, currency="USD", exchange_rate=Decimal("3.8"))
    assert invoice.total_ils == Decimal("4484.00")


def test_a_currency_without_a_rate_is_refused(users, supplier):
    with pytest.raises(ValidationError, match="No exchange rate"):
        _invoice(users, supplier, currency="EUR")
    assert SupplierInvoice.objects.get().status == "draft"


def test_payments_settle_the_open_balance_in_parts_re1(users, supplier, goods):
    invoice = _invoice(users, supplier)
    manager = users["manager"]
    first = supplier_payment_create(
        actor=manager,
        data={
            "invoice": invoice,
            "means": "cheque",
            "amount": Decimal("180"),
            "cheque_number": "7",
        },
    )
    assert first.supplier == supplier
    invoice.refresh_from_db()
    assert (invoice.paid, invoice.balance) == (Decimal("180.00"), Decimal("1000.00"))
    with pytest.raises(ValidationError, match="open balance"):
        supplier_payment_create(
            actor=manager, data={"invoice": invoice, "means": "cash", "amount": Decimal("1000.01")}
        )
    supplier_payment_update(first, actor=manager, data={"amount": Decimal("1180")})
    invoice.refresh_from_db()
    assert invoice.balance == 0
    supplier_payment_delete(first, actor=manager)
    invoice.refresh_from_db()
    assert (invoice.paid, invoice.balance) == (0, Decimal("1180.00"))


def test_a_payment_needs_a_recorded_invoice_of_its_supplier(users, supplier):
    from kesher.customers.tests.factories import make_account

    manager = users["manager"]
    draft = supplier_invoice_create(
        actor=manager, data={"supplier": supplier, "supplier_number": "D-1"}
    )
    with pytest.raises(ValidationError, match="recorded supplier invoice"):
        supplier_payment_create(
            actor=manager, data={"invoice": draft, "means": "cash", "amount": Decimal("1")}
        )
    invoice = _invoice(users, supplier)
    other = make_account(manager, name="ספק אחר")
    with pytest.raises(ValidationError, match="another supplier"):
        supplier_payment_create(
            actor=manager,
            data={"invoice": invoice, "supplier": other, "means": "cash", "amount": Decimal("1")},
        )
    with pytest.raises(ValidationError, match="cheque's number"):
        supplier_payment_create(
            actor=manager, data={"invoice": invoice, "means": "cheque", "amount": Decimal("1")}
        )


def test_a_foreign_payment_has_its_shekel_amount(users, supplier, goods):
    invoice = _invoice(users, supplier, currency="USD")
    payment = supplier_payment_create(
        actor=users["manager"],
        data={"invoice": invoice, "means": "transfer", "amount": Decimal("100"), "paid_on": DAY},
    )
    assert (payment.currency, payment.amount_ils) == ("USD", Decimal("370.00"))


def test_payables_on_the_account_page_and_api(users, supplier, client_for, api_for):
    """Open balance per supplier (payables), for managers; reps see nothing of it."""
    invoice = _invoice(users, supplier, doc_date=datetime.date(2026, 11, 1))
    supplier_payment_create(
        actor=users["manager"],
        data={"invoice": invoice, "means": "cash", "amount": Decimal("180")},
    )
    page = client_for(users["admin"]).get(f"/r/accounts/{supplier.pk}/")
    assert 'id="account-payables"' in page.content.decode()
    answer = api_for(users["admin"]).get(f"/api/v1/accounts/{supplier.pk}/payables/")
    assert answer.json()["open_balance"] == "1000.00"
    assert answer.json()["overdue"] == "1000.00"  # due on its date, 1/11/2026
    rep = api_for(users["sales_rep"]).get(f"/api/v1/accounts/{supplier.pk}/payables/")
    assert rep.status_code == 403


def test_api_lines_and_translated_refusal(users, supplier, goods, api_for):
    order = _order(users, supplier, goods)
    api = api_for(users["manager"], language="he")
    bad = api.put(
        f"/api/v1/purchase-orders/{order.pk}/lines/",
        {"lines": [{"name": "x", "quantity": "0", "unit_price": "1"}]},
        format="json",
    )
    assert bad.status_code == 400
    assert "כמות" in bad.content.decode()
    assert order.lines.count() == 2
    good = api.put(
        f"/api/v1/purchase-orders/{order.pk}/lines/",
        {"lines": [{"product": goods["mouse"].pk, "quantity": "3", "unit_price": "20"}]},
        format="json",
    )
    assert good.status_code == 200, good.content
    assert good.json()["total"] == "70.80"
    ordered = api.post(f"/api/v1/purchase-orders/{order.pk}/order/")
    assert ordered.json()["number"] == "PO-00001"
    received = api.post(f"/api/v1/purchase-orders/{order.pk}/receive/", {}, format="json")
    assert received.json()["status"] == "received"
    made = api.post(
        f"/api/v1/purchase-orders/{order.pk}/supplier-invoice/",
        {"supplier_number": "S-1"},
        format="json",
    )
    assert made.status_code == 201
    recorded = api.post(f"/api/v1/supplier-invoices/{made.json()['id']}/record/")
    assert recorded.json()["status"] == "recorded"


def test_pages_make_the_chain(users, supplier, goods, client_for):
    order = _order(users, supplier, goods)
    client = client_for(users["manager"])
    page = client.get(f"/r/purchase-orders/{order.pk}/")
    assert 'id="purchase-order-order"' in page.content.decode()
    form = client.get(f"/purchasing/purchase-orders/{order.pk}/lines/")
    assert form.status_code == 200
    saved = client.post(
        f"/purchasing/purchase-orders/{order.pk}/lines/",
        {"rows": "2", "name_1": "כבל", "quantity_1": "2", "unit_price_1": "5", "vat_rate_1": ""},
    )
    assert saved.status_code == 302
    assert order.lines.get().total == Decimal("11.80")
    client.post(f"/purchase-orders/{order.pk}/order/")
    client.post(f"/purchase-orders/{order.pk}/supplier-invoice/", {"supplier_number": "Z-9"})
    invoice = SupplierInvoice.objects.get(purchase_order=order)
    client.post(f"/supplier-invoices/{invoice.pk}/record/")
    invoice.refresh_from_db()
    assert invoice.status == "recorded"
    detail = client.get(f"/r/supplier-invoices/{invoice.pk}/").content.decode()
    assert 'id="supplier-invoice-pay"' in detail


def test_reps_do_not_see_purchasing(users, supplier, client_for):
    """Supplier costs are not the sales reps' (decision 0087)."""
    _invoice(users, supplier)
    rep = client_for(users["sales_rep"])
    assert rep.get("/r/supplier-invoices/").status_code == 403
    assert rep.get("/r/purchase-orders/").status_code == 403
    assert 'id="account-payables"' not in rep.get(f"/r/accounts/{supplier.pk}/").content.decode()


def test_bulk_actions_are_told_which_documents_are_locked(users, supplier, goods):
    """Bulk updates and deletes skip ordered orders and recorded invoices (the edit guard)."""
    from kesher.platform.records.services import edit_blocked_among

    ordered = purchase_order_order(_order(users, supplier, goods), actor=users["manager"])
    draft = _order(users, supplier, goods)
    blocked = edit_blocked_among("purchase-orders", [ordered.pk, draft.pk])
    assert list(blocked) == [ordered.pk]
    invoice = _invoice(users, supplier)
    assert list(edit_blocked_among("supplier-invoices", [invoice.pk])) == [invoice.pk]

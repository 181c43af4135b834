"""An install upgraded across decision 0092 keeps what its purchasing meant: an order received
before partial receipts existed has every line received in full, and a payment made before
allocations existed pays its invoice through one allocation of its whole amount."""

from decimal import Decimal

from kesher.platform.testing.upgrade import database_at, nodes_before, upgrade

FIRST = ("purchasing", "0003_partial_receipts")
LAST = ("purchasing", "0005_payment_allocations")


def test_received_orders_and_old_payments_keep_their_meaning(transactional_db):
    with database_at(nodes_before(FIRST, apps=["customers", "org"]), replay=False) as old:
        account = old.get_model("customers", "Account").objects.create(name="ספק ותיק")
        Order = old.get_model("purchasing", "PurchaseOrder")
        Line = old.get_model("purchasing", "PurchaseOrderLine")
        received = Order.objects.create(supplier_id=account.pk, status="received", number="PO-1")
        ordered = Order.objects.create(supplier_id=account.pk, status="ordered", number="PO-2")
        for order in (received, ordered):
            Line.objects.create(order=order, position=1, name="עכבר", quantity=Decimal("7.5"))
        invoice = old.get_model("purchasing", "SupplierInvoice").objects.create(
            supplier_id=account.pk,
            supplier_number="A-1",
            status="recorded",
            total=Decimal("1180"),
            paid=Decimal("300"),
            balance=Decimal("880"),
        )
        payment = old.get_model("purchasing", "SupplierPayment").objects.create(
            supplier_id=account.pk, invoice=invoice, means="cash", amount=Decimal("300")
        )
        new = upgrade(to=LAST)

        lines = new.get_model("purchasing", "PurchaseOrderLine").objects
        assert lines.get(order_id=received.pk).received == Decimal("7.5")
        assert lines.get(order_id=ordered.pk).received == 0
        moved = new.get_model("purchasing", "SupplierPayment").objects.get(pk=payment.pk)
        assert (moved.invoice_id, moved.allocated) == (invoice.pk, Decimal("300"))
        allocations = new.get_model("purchasing", "SupplierPaymentAllocation").objects
        assert list(allocations.values_list("payment_id", "invoice_id", "amount")) == [
            (payment.pk, invoice.pk, Decimal("300"))
        ]
        kept = new.get_model("purchasing", "SupplierInvoice").objects.get(pk=invoice.pk)
        assert (kept.kind, kept.credited, kept.balance) == ("invoice", 0, Decimal("880"))

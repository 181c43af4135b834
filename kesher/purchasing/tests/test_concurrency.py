"""Two payments against one supplier invoice at once never pay it beyond its total, and its
paid amount is the sum of its payments (REQ RE-1; decision 0087). PostgreSQL: real concurrent
transactions; SQLite serializes writers, where the test is skipped."""

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Sum

from kesher.purchasing.models import SupplierInvoice, SupplierPayment
from kesher.purchasing.services import (
    LineInput,
    lines_set,
    supplier_invoice_create,
    supplier_invoice_record,
    supplier_payment_create,
)


@pytest.mark.django_db(transaction=True)
def test_two_payers_never_pay_beyond_the_total(users, supplier):
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serializes writers; the PostgreSQL run is the test")
    manager = users["manager"]
    invoice = supplier_invoice_create(
        actor=manager, data={"supplier": supplier, "supplier_number": "RACE-1"}
    )
    lines_set(invoice, actor=manager, lines=[LineInput(name="x", quantity="1", unit_price="1000")])
    invoice = supplier_invoice_record(invoice, actor=manager)  # 1,180.00
    errors, refused = [], []
    lock = threading.Lock()

    def payer():
        try:
            for _ in range(3):
                try:
                    supplier_payment_create(
                        actor=manager,
                        data={"invoice": invoice, "means": "cash", "amount": Decimal("200")},
                    )
                except ValidationError:
                    with lock:
                        refused.append(1)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=payer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    invoice = SupplierInvoice.objects.get(pk=invoice.pk)
    paid = SupplierPayment.objects.filter(invoice=invoice).aggregate(s=Sum("amount"))["s"]
    assert paid == invoice.paid == Decimal("1000.00")
    assert invoice.balance == Decimal("180.00")
    assert len(refused) == 1

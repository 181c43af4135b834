"""The demo's purchasing (issue 17; decision 0087): a purchase order received into the main
warehouse and invoiced, a draft, six months of expenses and payments, rent still owed."""

import pytest

from kesher.purchasing.models import PurchaseOrder, SupplierInvoice, SupplierPayment
from kesher.purchasing.selectors import payables_of
from kesher.reports.engine import parse, run
from kesher.reports.models import Report
from kesher.stock.models import StockMove

pytestmark = pytest.mark.django_db


def test_the_demo_buys_receives_records_and_pays(loaded):
    received = PurchaseOrder.objects.get(status="received")
    assert received.number.startswith("PO-")
    assert StockMove.objects.filter(kind="receipt", reference=received.number).count() == 2
    assert PurchaseOrder.objects.filter(status="draft").exists()
    assert SupplierInvoice.objects.filter(purchase_order=received, status="recorded").exists()
    assert SupplierInvoice.objects.filter(status="recorded").count() == 13
    assert SupplierPayment.objects.count() == 12
    rent = SupplierInvoice.objects.filter(balance__gt=0, supplier__name="נכסי השרון בע״מ").get()
    from kesher.org.models import User

    ronit = User.objects.get(username="ronit")
    assert payables_of(rent.supplier, ronit).open_balance == rent.total


def test_the_expenses_report_sums_six_months_for_the_manager(loaded):
    from kesher.org.models import User

    ronit = User.objects.get(username="ronit")
    report = Report.objects.get(name="הוצאות לפי חודש")
    result = run(parse(report.definition, ronit), ronit)
    assert len(result.rows) >= 6

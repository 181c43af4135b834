"""Purchasing in a real browser, in Hebrew (issue 17 items 1 and 4; decisions 0087, 0092): a
manager (purchasing is the managers' among the built-in roles) writes a purchase order to a supplier
he picks as he types, adds a printer from the catalogue and a delivery charge (a plain expense
line) with the line picker, sees the totals in shekels, sends the order (its number PO-…),
receives it into the main warehouse in two parts (the printers enter stock, the delivery does
not; more than outstanding is refused), records the supplier's invoice made from it and pays
part of it by bank transfer; the supplier's page shows what we still owe him and the payment on
his timeline. The supplier credits the delivery line by a credit note, and one transfer pays
that invoice and another one of his, the rest an open credit his page shows. The purchase order's
page passes axe-core's WCAG 2.1 AA checks (IS 5568).

REQ SA-10, SA-11, RE-1, RE-3; docs ISRAEL.md.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings as django_settings
from django.test import Client
from playwright.sync_api import expect

from kesher.catalogue.tests.factories import make_group, make_product
from kesher.customers.tests.factories import make_account
from kesher.platform.records.services import record_create
from kesher.purchasing.models import PurchaseOrder, SupplierInvoice, SupplierPayment
from kesher.purchasing.services import (
    LineInput,
    lines_set,
    supplier_invoice_create,
    supplier_invoice_record,
)
from kesher.stock.models import StockLevel, StockMove
from tests.browser.conftest import htmx_settled

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

expect.set_options(timeout=30_000)

WCAG_AA = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}


def _signed_in(open_page, live_server, user):
    """A page of ``user``'s, signed in by a session made on the server's side (signing in
    through the form is the main flow's test; hashing a password costs a second here)."""
    client = Client()
    client.force_login(user)
    page = open_page()
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": django_settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )
    return page


def _pick(page, field_id: str, typed: str, pk: int) -> None:
    """Type into a record picker and choose the suggestion of record ``pk``."""
    htmx_settled(page)  # the picker's triggers bound before typing
    page.locator(f"#{field_id}-search").fill(typed)
    page.locator(f"[data-target={field_id}][data-pick='{pk}']").click()
    expect(page.locator(f"#{field_id}")).to_have_value(str(pk))


def _wcag_problems(page) -> list[str]:
    """What axe-core finds against WCAG 2.1 A and AA in the page's own part (``main``), as
    the record page's test reads it."""
    found = Axe().run(page, context="main", options=WCAG_AA).response["violations"]
    return [f"{v['id']}: {[n['target'] for n in v['nodes']]}" for v in found]


def test_a_purchase_order_received_invoiced_and_paid_in_part(
    users, open_page, live_server, screenshot
):
    admin, manager = users["admin"], users["manager"]
    printer = make_product(
        admin,
        name="מדפסת לייזר",
        sku="PRN-2",
        group=make_group(admin, "ציוד משרדי"),
        price="1900.00",
        cost_price=Decimal("1250.00"),
    )
    warehouse = record_create(
        "warehouses", actor=admin, data={"name": "מחסן ראשי", "kind": "warehouse"}
    )
    supplier = make_account(manager, name="דפוס הצפון בע״מ", company_number="514713288")

    page = _signed_in(open_page, live_server, manager)
    # The order's header: the supplier picked as typed, the warehouse the goods will enter.
    page.goto("/r/purchase-orders/new/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    page.locator("#id_name").fill("מדפסות לסניף חיפה")
    _pick(page, "id_supplier", "דפוס", supplier.pk)
    page.locator("#id_warehouse").select_option(str(warehouse.pk))
    page.locator("form [type=submit]").last.click()
    page.wait_for_url("**/r/purchase-orders/*/")
    order = PurchaseOrder.objects.get(supplier=supplier)
    assert (order.status, order.warehouse, order.owner) == ("draft", warehouse, manager)

    # Its lines: four printers from the catalogue at their cost price, and the delivery.
    page.locator("#purchase-lines-edit").click()
    page.wait_for_url(f"**/purchasing/purchase-orders/{order.pk}/lines/")
    _pick(page, "line-product-1", "מדפסת", printer.pk)
    page.locator("[name=quantity_1]").fill("4")  # no price typed: the product's cost price
    page.locator("[name=name_2]").fill("הובלה והתקנה")
    page.locator("[name=quantity_2]").fill("1")
    page.locator("[name=unit_price_2]").fill("350")
    screenshot(page, "purchase-lines-he")
    page.locator("#lines-save").click()
    page.wait_for_url(f"**/r/purchase-orders/{order.pk}/")
    # 4 × 1,250 + 350 = 5,350 before VAT; 18% VAT 963; 6,313 in all.
    lines = page.locator("#purchase-lines")
    expect(lines.locator("tbody tr")).to_have_count(2)
    expect(lines.locator("tfoot")).to_contain_text("₪5,350.00")
    expect(lines.locator("tfoot")).to_contain_text("₪963.00")
    expect(page.locator("#purchase-total")).to_have_text("₪6,313.00")
    htmx_settled(page)  # the timeline, loaded after the page shows
    assert _wcag_problems(page) == []

    # Sent: the number of the company's purchase orders, and the order is locked.
    page.locator("#purchase-order-order").click()
    expect(page.locator("#purchase-order-order")).to_have_count(0)
    order.refresh_from_db()
    assert (order.status, order.number[:3]) == ("ordered", "PO-")
    expect(page.locator("#record-title")).to_contain_text(order.number)
    expect(page.locator("#purchase-lines-edit")).to_have_count(0)
    screenshot(page, "purchase-order-ordered-he")
    # Ordered, received and outstanding beside the amounts: on a desktop the lines fit, with no
    # sideways scroll (the VAT rate under the VAT, the SKU under the description).
    assert page.locator("#purchase-lines .table-responsive").evaluate(
        "box => box.scrollWidth <= box.clientWidth"
    )

    # Received in two parts into the main warehouse: one printer first (the delivery line is
    # not received yet), then the rest; the printers enter stock, the delivery does not.
    page.locator("#purchase-order-receive-details > summary").click()
    page.locator("#purchase-order-receive-form select").select_option(str(warehouse.pk))
    expect(page.locator("#receive-quantity-1")).to_have_value("4")
    page.locator("#receive-quantity-1").fill("1")
    page.locator("#receive-quantity-2").fill("")
    screenshot(page, "purchase-order-receive-part-he")
    page.locator("#purchase-order-receive").click()
    expect(page.locator("#purchase-lines .line-outstanding")).to_have_text(["3", "1"])
    expect(page.locator("#purchase-lines .line-received")).to_have_text(["1", "0"])
    # The receiving made a numbered goods receipt, listed on the order (decision 0118).
    expect(page.locator("main")).to_contain_text("נוצרה תעודת קבלת סחורה GR-00001")
    expect(page.locator("main")).to_contain_text("תעודות קבלת סחורה")
    order.refresh_from_db()
    assert order.status == "partial"
    assert StockLevel.objects.get(warehouse=warehouse, product=printer).quantity == 1
    # More than is outstanding is refused, in Hebrew, and nothing is received.
    page.locator("#purchase-order-receive-details > summary").click()
    page.locator("#receive-quantity-1").fill("5")
    page.locator("#purchase-order-receive").click()
    expect(page.locator("main")).to_contain_text("שעוד לא התקבלו")
    assert StockLevel.objects.get(warehouse=warehouse, product=printer).quantity == 1
    page.locator("#purchase-order-receive-details > summary").click()
    expect(page.locator("#receive-quantity-1")).to_have_value("3")
    page.locator("#purchase-order-receive").click()
    expect(page.locator("#purchase-order-receive")).to_have_count(0)
    expect(page.locator("#purchase-lines .line-outstanding")).to_have_text(["0", "0"])
    order.refresh_from_db()
    assert order.status == "received"
    assert StockLevel.objects.get(warehouse=warehouse, product=printer).quantity == 4
    receipts = list(order.goods_receipts.order_by("number_value"))
    assert [r.number for r in receipts] == ["GR-00001", "GR-00002"]
    page.locator(f"a[href='/r/goods-receipts/{receipts[1].pk}/']").click()
    expect(page.locator("main")).to_contain_text("מדפסת לייזר")
    screenshot(page, "goods-receipt-he")
    page.go_back()
    moves = StockMove.objects.filter(product=printer).order_by("pk")
    assert [(m.kind, m.quantity, m.reference, m.unit_cost) for m in moves] == [
        ("receipt", 1, order.number, 1250),
        ("receipt", 3, order.number, 1250),
    ]
    page.goto(f"/stock/?warehouse={warehouse.pk}")
    expect(page.locator("#stock-levels tbody tr")).to_have_count(1)
    expect(page.locator("#stock-levels tbody tr")).to_contain_text("מדפסת לייזר")
    expect(page.locator("#stock-levels .stock-quantity")).to_have_text(["4"])

    # The supplier's invoice, made from the order (its lines copied), recorded in the books.
    page.goto(f"/r/purchase-orders/{order.pk}/")
    page.locator("details:has(#purchase-order-invoice-form) > summary").click()
    page.locator("#purchase-order-invoice-form [name=supplier_number]").fill("INV-7781")
    page.locator("#purchase-order-invoice").click()
    page.wait_for_url("**/r/supplier-invoices/*/")
    page.locator("#supplier-invoice-record").click()
    expect(page.locator("#supplier-invoice-record")).to_have_count(0)
    invoice = SupplierInvoice.objects.get(supplier=supplier)
    assert (invoice.status, invoice.purchase_order, invoice.total) == ("recorded", order, 6313)
    assert (invoice.total_ils, invoice.balance) == (Decimal("6313.00"), Decimal("6313.00"))

    # Part of it paid by bank transfer: the form comes filled from the invoice.
    page.locator("#supplier-invoice-pay").click()
    page.wait_for_url("**/r/supplier-payments/new/*")
    expect(page.locator("#id_amount")).to_have_value("6313.00")
    page.locator("#id_amount").fill("2000")
    page.locator("#id_means").select_option("transfer")
    page.locator("#id_reference").fill("העברה 88213")
    screenshot(page, "supplier-payment-he")
    page.locator("form [type=submit]").last.click()
    page.wait_for_url("**/r/supplier-payments/*/")
    payment = SupplierPayment.objects.get(invoice=invoice)
    assert (payment.supplier, payment.amount, payment.amount_ils) == (supplier, 2000, 2000)
    invoice.refresh_from_db()
    assert (invoice.paid, invoice.balance) == (Decimal("2000.00"), Decimal("4313.00"))
    page.goto(f"/r/supplier-invoices/{invoice.pk}/")
    expect(page.locator("#supplier-invoice-pay")).to_be_visible()  # 4,313 still open
    screenshot(page, "supplier-invoice-he")

    # The supplier's page: what we still owe him, the payment on his timeline.
    page.goto(f"/r/accounts/{supplier.pk}/")
    payables = page.locator("#account-payables")
    expect(payables).to_contain_text("חוב שלנו לספק")
    expect(payables.locator("#payables-open")).to_have_text("₪4,313.00")
    expect(payables.locator("#payables-open-count")).to_have_text("חשבוניות פתוחות: 1")
    expect(payables.locator("#payables-overdue")).to_have_text("₪0.00")
    expect(payables.locator("#payables-overdue-count")).to_have_text("חשבוניות שמועד תשלומן עבר: 0")
    expect(page.locator("#record-timeline")).to_contain_text("העברה 88213")

    # The delivery was not made: the supplier's credit note credits its line (350 + 63 VAT).
    page.goto(f"/r/supplier-invoices/{invoice.pk}/")
    page.locator("#supplier-credit-note-details > summary").click()
    page.locator("#credit-line-1").uncheck()
    page.locator("#supplier-credit-note-form [name=supplier_number]").fill("CN-12")
    screenshot(page, "supplier-credit-note-he")
    page.locator("#supplier-credit-note-make").click()
    page.wait_for_url("**/r/supplier-invoices/*/")
    expect(page.locator("#record-title")).to_contain_text("CN-12")
    expect(page.locator("#purchase-total")).to_have_text("₪413.00")
    page.locator("#supplier-invoice-record").click()
    expect(page.locator("#supplier-invoice-record")).to_have_count(0)
    invoice.refresh_from_db()
    assert (invoice.credited, invoice.balance) == (Decimal("413.00"), Decimal("3900.00"))

    # Another invoice of his (rent), and one transfer paying both, the rest an open credit.
    rent = supplier_invoice_create(
        actor=manager, data={"supplier": supplier, "supplier_number": "INV-7790"}
    )
    lines_set(
        rent, actor=manager, lines=[LineInput(name="שכירות", quantity="1", unit_price="1000")]
    )
    rent = supplier_invoice_record(rent, actor=manager)  # ₪1,180
    page.goto(f"/r/accounts/{supplier.pk}/")
    page.locator("#payables-pay").click()
    page.wait_for_url(f"**/purchasing/suppliers/{supplier.pk}/pay/")
    page.locator("#pay-means").select_option("transfer")
    page.locator("#pay-amount").fill("5500")
    page.locator("#pay-reference").fill("העברה 90210")
    page.locator(f"#allocate-{invoice.pk}").fill("3900")
    page.locator(f"#allocate-{rent.pk}").fill("1180")
    screenshot(page, "supplier-pay-invoices-he")
    page.locator("#allocate-save").click()
    page.wait_for_url("**/r/supplier-payments/*/")
    expect(page.locator("#payment-open-credit")).to_contain_text("₪420.00")
    expect(page.locator("#payment-allocations .allocation-amount")).to_have_text(
        ["₪3,900.00", "₪1,180.00"]
    )
    for paid in (invoice, rent):
        paid.refresh_from_db()
        assert paid.balance == 0

    # The supplier's page: nothing owed, the open credit and the credit note.
    page.goto(f"/r/accounts/{supplier.pk}/")
    expect(payables.locator("#payables-open")).to_have_text("₪0.00")
    expect(payables.locator("#payables-open-credit")).to_have_text("₪420.00")
    expect(payables.locator("#payables-owed")).to_contain_text("-₪420.00")
    expect(payables.locator("#payables-credited")).to_have_text("₪413.00")
    expect(page.locator("#record-timeline")).to_contain_text("העברה 90210")
    expect(page.locator("#record-timeline")).to_contain_text("CN-12")
    print(screenshot(page, "supplier-account-he"))  # looked at by whoever runs it (-s)

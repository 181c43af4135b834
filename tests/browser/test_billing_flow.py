"""Billing in a real browser (issue 17): a confirmed order is delivered — its delivery note
takes the laptops out of the technician's van — and becomes a tax invoice above the
allocation threshold, which waits for its allocation number; the local fake of the Tax
Authority approves it; a cheque pays part of it; the customer's page shows the open balance;
the rest is paid by a payment link through the local fake clearing provider, and the
customer's 360° view shows the balance and how he pays.

REQ SA-10, SA-11, CU-7; docs ISRAEL.md.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kesher.billing.allocation import request_allocations
from kesher.billing.models import ClearingAccount, PaymentRequest, TaxDocument
from kesher.billing.tests.fake_clearing import SECRET, FakeClearing
from kesher.billing.tests.fake_tax_authority import FakeTaxAuthority
from kesher.catalogue.tests.factories import make_entry, make_group, make_list, make_product
from kesher.customers.models import Account
from kesher.customers.tests.factories import make_account
from kesher.platform.records.services import record_create
from kesher.quotes.services import LineInput, order_confirm, order_create, order_set_lines
from kesher.stock.models import StockLevel
from kesher.stock.services import move_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

expect.set_options(timeout=30_000)


def test_an_order_invoiced_allocated_and_paid_in_part_by_cheque(
    users, open_page, log_in, settings, live_server, screenshot
):
    admin, rep = users["admin"], users["sales_rep"]
    laptop = make_product(admin, name="מחשב נייד", sku="LAP", group=make_group(admin, "מחשבים"))
    make_entry(admin, make_list(admin, "מחירון כללי", is_default=True), laptop, "1000.00")
    account = make_account(rep, name="טכנולוגיות הגליל", company_number="514713288")
    order = order_create(actor=rep, data={"account": account})
    line = LineInput(product=laptop.pk, quantity=Decimal("6"))
    order = order_confirm(order_set_lines(order, actor=rep, lines=[line]), actor=rep)
    van = record_create(
        "warehouses",
        actor=admin,
        data={"name": "ניידת — טכנאי", "kind": "van", "technician": users["support_agent"]},
    )
    move_create(actor=admin, kind="receipt", product=laptop, quantity=Decimal(10), to_warehouse=van)

    page = open_page()
    log_in(page, rep.username)
    # The delivery note: the six laptops leave the technician's van as it is issued.
    page.goto(f"/r/orders/{order.pk}/")
    page.locator("#order-to-document select").select_option("delivery_note")
    page.locator("#order-make-document").click()
    page.wait_for_url("**/r/tax-documents/*/")
    page.locator("#document-warehouse").select_option(str(van.pk))
    page.locator("#document-stock-save").click()
    page.locator("#document-issue").click()
    expect(page.locator("#document-stock-moves")).to_contain_text("ניידת — טכנאי")
    assert StockLevel.objects.get(warehouse=van, product=laptop).quantity == 4

    page.goto(f"/r/orders/{order.pk}/")
    page.locator("#order-to-document select").select_option("tax_invoice")
    page.locator("#order-make-document").click()
    page.wait_for_url("**/r/tax-documents/*/")
    page.locator("#document-issue").click()
    expect(page.locator("#allocation-state")).to_be_visible()  # 6,000 before VAT > 5,000
    invoice = TaxDocument.objects.get(order=order, kind="tax_invoice")
    assert invoice.status == "awaiting"
    assert invoice.number_value == 1

    with FakeTaxAuthority() as fake:
        settings.KESHER_TAX_AUTHORITY = fake.settings()
        assert request_allocations(now=timezone.now() + datetime.timedelta(seconds=1)) == 1
    page.reload()
    expect(page.locator("#allocation-state")).to_have_count(0)
    # On the record's own part, and again on its timeline as the change that brought it.
    expect(page.locator("[id^='part-s']").get_by_text("000000001")).to_be_visible()
    expect(page.get_by_role("list", name="ציר זמן").get_by_text("000000001")).to_be_visible()

    page.locator("#document-pay").click()
    page.locator("#pay-method").select_option("cheque")
    page.locator("#pay-amount").fill("2000")
    for field, value in (("bank", "12"), ("branch", "600"), ("account", "458721")):
        page.locator(f"#pay-{field}").fill(value)
    page.locator("#pay-cheque").fill("100234")
    page.locator("#pay-date").fill(timezone.localdate().isoformat())
    page.locator("#pay-save").click()
    expect(page.locator("#document-balance")).to_contain_text("5,080.00")  # 7,080 − 2,000

    page.goto(f"/r/accounts/{account.pk}/")
    expect(page.locator("#account-open-balance")).to_contain_text("5,080.00")

    # The rest by a payment link (decision 0084): the local fake provider makes the page, the
    # customer pays, the provider's signed confirmation becomes a receipt.
    Account.objects.filter(pk=account.pk).update(email="books@galil.example")
    with FakeClearing() as provider:
        clearing = ClearingAccount.objects.create(
            name="סליקה", provider="generic", terminal="T1", api_url=provider.api_url,
            secret=SECRET,
        )  # fmt: skip
        page.goto(f"/r/tax-documents/{invoice.pk}/")
        page.locator("#document-payment-link").click()
        expect(page.locator(".payment-link")).to_contain_text("5,080.00")
        link = PaymentRequest.objects.get(invoice=invoice)
        confirm = f"{live_server.url}/api/v1/clearing/{clearing.pk}/confirm/"
        assert provider.deliver(confirm, str(link.reference)) == 200
    page.reload()
    expect(page.locator("#document-balance")).to_contain_text("0.00")
    shot = screenshot(page, "billing-paid-by-link")
    # The 360° view: nothing owed, nothing overdue, paid on the day against terms of the day.
    page.goto(f"/r/accounts/{account.pk}/")
    expect(page.locator("#account-open-balance")).to_contain_text("0.00")
    expect(page.locator("#account-overdue")).to_contain_text("0.00")
    expect(page.locator("#account-days-to-pay")).to_have_text("0.0 (0.0)")
    expect(page.get_by_text("בזמן", exact=True)).to_be_visible()  # payment behaviour
    print(shot, screenshot(page, "billing-360"))  # looked at by whoever runs it (-s)

"""Stock in a real browser (issue 17 item 4): the stock keeper receives two water filters with
their serial numbers into a technician's van; the technician uses one on a service ticket from
the ticket's page (his van chosen for him); the levels report shows what is left and the
serial's history runs from the receipt to the ticket — in Hebrew (RTL) and English.

REQ SA-11, SV-12, RE-3; decision 0083.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from kesher.catalogue.tests.factories import make_group, make_product
from kesher.platform.records.services import record_create
from kesher.service.tests.factories import make_ticket
from kesher.stock.models import Serial, StockLevel
from kesher.stock.services import product_stock_set

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

expect.set_options(timeout=30_000)


def test_goods_received_into_the_van_used_on_a_ticket_and_traced(
    users, open_page, log_in, screenshot
):
    admin, tech = users["admin"], users["support_agent"]
    water = make_group(admin, "טיהור מים")
    filter_ = make_product(admin, name="מסנן מים", sku="FLT-1", group=water)
    product_stock_set(filter_, actor=admin, serial_tracked=True)
    record_create("warehouses", actor=admin, data={"name": "מחסן ראשי", "kind": "warehouse"})
    van = record_create(
        "warehouses",
        actor=admin,
        data={"name": "ניידת — טכנאי", "kind": "van", "technician": tech},
    )
    ticket = make_ticket(admin, subject="החלפת מסנן במטבח")

    # The stock keeper receives two filters with their serial numbers into the van.
    page = open_page()
    log_in(page, admin.username)
    page.goto("/stock/move/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    page.locator("#move-kind").select_option("receipt")
    page.locator("#move-product-search").fill("מסנן")  # picked by name as typed
    page.locator(f"[data-target=move-product][data-pick='{filter_.pk}']").click()
    page.locator("#move-quantity").fill("2")
    page.locator("#move-to").select_option(str(van.pk))
    page.locator("#move-cost").fill("120")
    page.locator("#move-reference").fill("חשבונית ספק 4471")
    page.locator("#move-serials").fill("SN-1001\nSN-1002")
    screenshot(page, "stock-receipt-he")
    page.locator("#move-save").click()
    page.wait_for_url("**/stock/?warehouse=*")
    expect(page.locator("#stock-levels .stock-quantity")).to_have_text(["2"])
    screenshot(page, "stock-levels-he")

    # The technician uses one on the ticket, from his van (chosen for him).
    field = open_page()
    log_in(field, tech.username)
    field.goto(f"/r/tickets/{ticket.pk}/")
    expect(field.locator("#part-warehouse")).to_have_value(str(van.pk))
    field.locator("#part-product").select_option(str(filter_.pk))
    field.locator("#part-quantity").fill("1")
    field.locator("#part-serials").fill("SN-1001")
    field.locator("#part-save").click()
    expect(field.locator("#ticket-parts-list .ticket-part")).to_have_count(1)
    expect(field.locator("#ticket-parts-list")).to_contain_text("SN-1001")
    screenshot(field, "stock-ticket-parts-he")
    assert StockLevel.objects.get(warehouse=van, product=filter_).quantity == 1

    # The level is what is left; the serial's history runs from the receipt to the ticket.
    field.goto("/stock/")
    expect(field.locator("#stock-levels .stock-quantity")).to_have_text(["1"])
    expect(field.locator("#stock-levels")).not_to_contain_text("מחסן ראשי")
    field.goto(f"/r/tickets/{ticket.pk}/")
    field.locator("#ticket-parts-list a", has_text="SN-1001").click()
    field.wait_for_url("**/stock/serials/*/")
    expect(field.locator("#serial-status")).to_have_text("נצרך בפניית שירות")
    expect(field.locator("#serial-history .stock-move")).to_have_count(2)
    expect(field.locator("#serial-history")).to_contain_text("החלפת מסנן במטבח")
    screenshot(field, "stock-serial-he")

    # The same history in English (left to right).
    tech.language = "en"
    tech.save(update_fields=["language"])
    english = open_page(language="en-US")
    log_in(english, tech.username)
    serial = Serial.objects.get(number="SN-1001")
    english.goto(f"/stock/serials/{serial.pk}/")
    expect(english.locator("html")).to_have_attribute("dir", "ltr")
    expect(english.locator("#serial-status")).to_have_text("Used on a service job")
    expect(english.locator("#serial-history")).to_contain_text("Receipt from a supplier")
    screenshot(english, "stock-serial-en")

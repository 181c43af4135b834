"""Quotes in a real browser (issue 16): a rep makes a quote from a deal, adds a product with the
search-as-you-type picker, prices it in the grid (the server totals every change), gives a
discount above his limit, asks for approval; his manager approves it on the quote's page, where
the margin is; the rep e-mails it with its PDF and downloads the PDF; the customer opens the
signed link and accepts it; the order exists and the deal is won. Then the grid in English (left
to right).

REQ SA-9, SA-10, SV-12.
"""

from __future__ import annotations

import os
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from kesher.catalogue.tests.factories import (
    make_entry,
    make_group,
    make_list,
    make_product,
    make_rule,
)
from kesher.customers.tests.factories import make_account
from kesher.integrations.models import OutgoingMessage
from kesher.quotes.models import Order, Quote
from kesher.quotes.views import acceptance_token
from kesher.sales.tests.factories import make_opportunity
from tests.browser.conftest import htmx_settled

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Every change of the grid is a round trip to the server; a busy machine answers slowly.
expect.set_options(timeout=30_000)


def _keep(path):
    folder = os.environ.get("KESHER_QUOTES_SHOTS")
    if folder:
        shutil.copy(path, folder)


def _add_product(page, text):
    # The grid is swapped in again after each change: typed into before htmx has bound the new
    # search box's trigger, the text would send no request (a busy machine saw no suggestions).
    htmx_settled(page)
    search = page.locator("#new-line-search")
    search.fill(text)
    option = page.locator(".picker-options [data-pick]").first
    expect(option).to_be_visible(timeout=30_000)
    option.click()


def test_a_quote_from_a_deal_approved_sent_and_accepted_by_the_customer(
    users, open_page, log_in, screenshot, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path  # the PDF kept as sent
    admin, rep, manager = users["admin"], users["sales_rep"], users["manager"]
    group = make_group(admin, "מחשבים")
    laptop = make_product(admin, name="מחשב נייד 14", sku="LAP-14", group=group, cost_price="60")
    default = make_list(admin, "מחירון כללי", is_default=True)
    make_entry(admin, default, laptop, "90.00")
    # A projector rented by the week (a price rule: 400 ₪ a week), cost 300.
    projector = make_product(admin, name="מקרן", sku="PRJ-1", group=group, cost_price="300")
    make_rule(admin, kind="period", product=projector, period="week", price=Decimal("400"))
    account = make_account(rep, name="טכנולוגיות הגליל")
    deal = make_opportunity(rep, account=account, name="מחשבים לסניף")

    page = open_page()
    log_in(page, rep.username)
    page.goto(f"/r/opportunities/{deal.pk}/")
    page.locator("#make-quote").click()
    page.wait_for_url("**/r/quotes/*/")
    quote = Quote.objects.get(opportunity=deal)
    expect(page.locator("html")).to_have_attribute("dir", "rtl")

    _add_product(page, "LAP")
    grid = page.locator("#lines-grid")
    expect(grid.locator("#total-total")).to_contain_text("₪106.20")  # 90 + 18%
    quantity = grid.locator("[data-cell='0-quantity']")
    quantity.fill("3")
    quantity.press("Enter")
    expect(grid.locator("#total-total")).to_contain_text("₪318.60")
    discount = grid.locator("[data-cell='0-discount']")
    discount.fill("15")
    discount.press("Tab")
    expect(grid.locator("#over-limit")).to_be_visible()
    expect(grid.locator("#total-net")).to_contain_text("₪229.50")
    # The projector for two weeks: the rental rule's price, 2 × 400.
    _add_product(page, "PRJ")
    expect(grid.locator("[data-cell='1-period']")).to_be_visible()
    periods = grid.locator("[data-cell='1-periods']")
    periods.fill("2")
    grid.locator("[data-cell='1-period']").select_option("week")
    grid.locator("[data-cell='1-periods']").press("Enter")
    expect(grid.locator("#total-net")).to_contain_text("₪1,029.50")
    _keep(screenshot(page, "quote-grid-he"))

    page.reload()
    page.locator("#quote-request-approval").click()
    expect(page.locator("#record-approval")).to_be_visible()

    boss = open_page()
    log_in(boss, manager.username)
    boss.goto(f"/r/quotes/{quote.pk}/")
    expect(boss.locator("#total-margin")).to_contain_text("₪549.50")  # 1029.50 − 3×60 − 300
    _keep(screenshot(boss, "quote-approval-he"))
    boss.locator("#approve").click()

    page.goto(f"/r/quotes/{quote.pk}/")
    page.locator("#quote-email-menu summary").click()
    page.locator("#quote-email-to").fill("buyer@example.co.il")
    page.locator("#quote-email-send").click()
    expect(page.locator("#quote-emailed")).to_contain_text("buyer@example.co.il")
    quote.refresh_from_db()
    assert quote.status == Quote.Status.SENT
    assert OutgoingMessage.objects.get(link_type="quotes", link_id=quote.pk).to == (
        "buyer@example.co.il"
    )
    expect(page.locator("h1")).to_contain_text(quote.number)
    page.locator("#quote-pdf-menu summary").click()
    with page.expect_download() as download:
        page.locator("#quote-pdf-he").click()
    assert download.value.suggested_filename == f"{quote.number}.pdf"
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
    _keep(screenshot(page, "quote-emailed-he"))

    customer = open_page()
    customer.goto(f"/q/{acceptance_token(quote)}/")
    expect(customer.locator("#customer-total")).to_contain_text("₪1,214.81")
    _keep(screenshot(customer, "quote-customer-he"))
    customer.locator("#accept-quote").click()
    expect(customer.locator("#quote-accepted")).to_be_visible()
    order = Order.objects.get(quote=quote)
    assert order.number == "SO-00001"
    deal.refresh_from_db()
    assert deal.stage.outcome == "won"

    # English, left to right: the same grid.
    rep.language = "en"
    rep.save(update_fields=["language"])
    english = open_page(language="en-US")
    log_in(english, rep.username)
    english.goto(f"/r/quotes/{quote.pk}/")
    expect(english.locator("html")).to_have_attribute("dir", "ltr")
    expect(english.locator("#lines-grid")).to_contain_text("Before VAT")
    width = english.evaluate("document.documentElement.scrollWidth")
    assert width <= 1280
    _keep(screenshot(english, "quote-en"))

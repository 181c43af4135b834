"""Field service on a phone (issue 18 item 9; REQ SV-12; decision 0088): the technician opens
his day (Hebrew, RTL, 390 px wide), sees his two visits in order with the customer's phone and
navigation links, opens one, uses a cable from his van (picked by typing), has the customer sign
on the canvas with the mouse, writes his closing notes and completes the visit — the ticket is
resolved, the signature is a PNG file on it and the visit is on its timeline. The day and the
visit pass axe-core's WCAG 2.1 AA checks.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import expect

from kesher.activities.tests.factories import make_interaction
from kesher.catalogue.tests.factories import make_product
from kesher.customers.tests.factories import make_account
from kesher.platform.models import Attachment
from kesher.platform.records.services import record_create
from kesher.service.models import Ticket, VisitReport
from kesher.service.tests.factories import choice, make_ticket
from kesher.stock.models import MoveKind, StockLevel
from kesher.stock.services import move_create
from tests.browser.conftest import htmx_settled

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

expect.set_options(timeout=30_000)

WCAG_AA = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}


def _wcag_problems(page) -> list[str]:
    """What axe-core finds against WCAG 2.1 A and AA in the page's own part (``main``)."""
    found = Axe().run(page, context="main", options=WCAG_AA).response["violations"]
    return [f"{v['id']}: {[n['target'] for n in v['nodes']]}" for v in found]


def test_a_technicians_day_on_a_phone(users, open_page, log_in, screenshot):
    admin, tech = users["admin"], users["support_agent"]
    van = record_create(
        "warehouses", actor=admin, data={"name": "ניידת — אלון", "kind": "van", "technician": tech}
    )
    cable = make_product(admin, name="כבל רשת", sku="CBL-7")
    move_create(
        actor=admin,
        kind=MoveKind.RECEIPT,
        product=cable,
        quantity=Decimal("3"),
        to_warehouse=van,
    )
    account = make_account(
        admin, name="אלפא תעשיות", street="הרצל 12", city="פתח תקווה", phone="03-9123456"
    )
    today = timezone.localtime().replace(minute=0, second=0, microsecond=0)
    printer = make_ticket(admin, subject="המדפסת לא מדפיסה", account=account, handler=tech)
    network = make_ticket(admin, subject="הרשת איטית", account=account, handler=tech)
    for ticket, hour in ((printer, 9), (network, 13)):
        make_interaction(
            admin,
            kind=choice("interaction_kind", "meeting"),
            subject="ביקור",
            occurred_at=today.replace(hour=hour),
            link_type="tickets",
            link_id=ticket.pk,
            owner=tech,
        )

    page = open_page(phone=True)
    log_in(page, tech.username)
    # From the home page's card of his tickets to his day.
    page.locator("#home-my-day").click()
    page.wait_for_url("**/service/my-day/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    stops = page.locator("#field-visits .field-visit")
    expect(stops).to_have_count(2)
    expect(stops.first).to_contain_text("המדפסת לא מדפיסה")
    expect(stops.first.locator("a[href^='tel:']")).to_have_count(1)
    expect(stops.first.locator("a[href^='https://waze.com/ul?']")).to_have_count(1)
    expect(stops.first.locator("a[href^='https://www.google.com/maps/dir/']")).to_have_count(1)
    # Nothing wider than the phone: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert _wcag_problems(page) == []
    screenshot(page, "field-day-he")

    stops.first.locator(".field-open").click()
    page.wait_for_url(f"**/service/visits/{printer.pk}/")
    htmx_settled(page)
    assert _wcag_problems(page) == []

    # A cable from his van, picked by typing its name.
    page.locator("#visit-product-search").fill("כבל")
    page.locator(f"[data-target=visit-product][data-pick='{cable.pk}']").click()
    page.locator("#visit-quantity").fill("1")
    page.locator("#visit-part-add").click()
    expect(page.locator("#visit-parts-list .visit-part")).to_have_count(1)
    expect(page.locator("#visit-parts-list")).to_contain_text("כבל רשת")

    # The customer signs with the mouse; the technician writes what he did and completes.
    page.locator("#visit-notes").fill("הוחלף כבל הרשת של המדפסת, נבדקה הדפסה.")
    page.locator("#visit-signed-by").fill("דנה כהן")
    pad = page.locator("#visit-signature-pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    assert box is not None
    assert box["width"] <= 390
    x, y = box["x"], box["y"] + box["height"] / 2
    page.mouse.move(x + 30, y)
    page.mouse.down()
    for step in range(1, 13):
        page.mouse.move(x + 30 + step * 20, y + (18 if step % 2 else -18), steps=3)
    page.mouse.up()
    expect(page.locator("#visit-signature")).to_have_value(re.compile(r"^data:image/png;base64,"))
    screenshot(page, "field-visit-signed-he")
    page.locator("#visit-complete").click()
    expect(page).to_have_url(re.compile(r"/service/my-day/(#.*)?$"))
    expect(page.locator(".alert-success")).to_contain_text(printer.number)
    expect(page.locator(f"#field-visits [data-ticket='{printer.pk}']")).to_have_attribute(
        "data-done", "1"
    )
    screenshot(page, "field-day-done-he")

    ticket = Ticket.objects.get(pk=printer.pk)
    assert ticket.resolved_at is not None
    report = VisitReport.objects.get(ticket=ticket)
    assert report.signed_by == "דנה כהן"
    assert report.parts.count() == 1
    signature = Attachment.objects.get(pk=report.signature_id)
    assert signature.file.read().startswith(b"\x89PNG")
    assert StockLevel.objects.get(warehouse=van, product=cable).quantity == 2

    # The visit is on the ticket's timeline.
    page.goto(f"/r/tickets/{printer.pk}/")
    expect(page.get_by_text("ביקור הושלם").first).to_be_visible()
    screenshot(page, "field-ticket-timeline-he")

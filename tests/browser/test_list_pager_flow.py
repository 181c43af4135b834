"""The list's pager in a real browser (issue 26 item 6, decision 0056; REQ CU-1, OR-7): a page
number typed into "Page" opens that page, the list's sort and filters kept; a number past the
typed limit says where "Next" goes on; Hebrew right to left and English, on a desktop and on a
phone, with axe-core's WCAG 2.1 AA checks on the pager.
"""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from kesher.customers.models import Contact
from kesher.org.models import User
from kesher.platform.lists import keyset

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WCAG_AA = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}


def _wcag_problems(page) -> list[str]:
    """What axe-core finds in the table's footer: the count and the pager."""
    found = Axe().run(page, context="#results .card-footer", options=WCAG_AA).response["violations"]
    return [f"{v['id']}: {[n['target'] for n in v['nodes']]}" for v in found]


def test_typed_page_numbers_in_hebrew_and_english(
    users, open_page, log_in, screenshot, monkeypatch
):
    admin = users["admin"]
    Contact.objects.bulk_create(
        Contact(first_name="דנה", last_name=f"לוי {i:03d}", city="חיפה", owner=admin)
        for i in range(120)
    )
    monkeypatch.setattr(keyset, "TYPED_ROWS", 100)  # pages 1 and 2 may be typed
    page = open_page()
    log_in(page, admin.username)
    page.goto("/r/contacts/?sort=last_name&city=חיפה")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    pager = page.locator("#pager")
    expect(pager.get_by_label("עמוד")).to_have_value("1")
    assert _wcag_problems(page) == []

    pager.get_by_label("עמוד").fill("2")
    pager.get_by_role("button", name="מעבר").click()
    page.wait_for_url(re.compile(r"page=2"))
    assert "city=" in page.url
    assert "sort=last_name" in page.url
    expect(page.locator("#record-table tbody tr").first).to_contain_text("לוי 050")
    screenshot(page, "list-pager-he")

    # "Next" goes on past the typed limit, by cursor.
    page.locator("#page-next").click()
    page.wait_for_url(re.compile(r"cursor="))
    expect(page.locator("#record-table tbody tr")).to_have_count(20)
    expect(page.locator("#page-input")).to_have_value("3")

    # A number past the limit says so instead of listing.
    page.goto("/r/contacts/?sort=last_name&city=חיפה&page=3")
    expect(page.locator("#page-error")).to_contain_text("מספרי העמודים מגיעים עד 2")

    User.objects.filter(pk=admin.pk).update(language="en")
    page.goto("/r/contacts/?sort=last_name&city=חיפה&page=3")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    expect(page.locator("#page-error")).to_contain_text("Page numbers go up to 2")
    expect(page.locator("#page-go")).to_have_text("Go")
    screenshot(page, "list-pager-limit-en")

    phone = open_page(phone=True)
    log_in(phone, admin.username)
    phone.goto("/r/contacts/?sort=last_name&page=2")
    expect(phone.locator("#page-input")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

"""The service desk in a real browser (issue 18, first slice): an agent opens a ticket in Hebrew
(right to left), choosing its type and a subtype the type narrows live; sees its SLA clocks;
moves it through the statuses, the resolution required when it is resolved; then the same in
English.

REQ SV-1 … SV-5, SV-9, CX-6.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from kesher.service.models import Ticket
from kesher.service.tests.factories import require_resolution

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _open_ticket(page, subject, ticket_type, subtype, other_type_subtype):
    page.goto("/r/tickets/new/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if "ת" in ticket_type else "ltr")
    page.locator("[name=subject]").fill(subject)
    page.locator("[name=ticket_type]").select_option(label=ticket_type)
    # The subtype offers the chosen type's subtypes only (htmx reloads its options).
    subtypes = page.locator("[name=subtype] option")
    expect(subtypes.filter(has_text=subtype)).to_have_count(1)
    expect(subtypes.filter(has_text=other_type_subtype)).to_have_count(0)
    page.wait_for_timeout(100)
    page.locator("[name=subtype]").select_option(label=subtype)
    page.locator("form [type=submit]").last.click()
    page.wait_for_url("**/r/tickets/*/")
    return Ticket.objects.get(subject=subject)


def _move(page, ticket, status):
    page.goto(f"/r/tickets/{ticket.pk}/edit/")
    page.locator("[name=status]").select_option(label=status)
    page.locator("form [type=submit]").last.click()


def test_an_agent_opens_a_ticket_sees_its_clocks_and_resolves_it(
    users, open_page, log_in, screenshot
):
    agent = users["support_agent"]
    require_resolution(users["admin"])
    page = open_page()
    log_in(page, agent.username)

    ticket = _open_ticket(page, "המדפסת לא מדפיסה", "תמיכה טכנית", "התקנת תוכנה", "מחירון")
    assert ticket.subtype.value == "software_install"
    assert ticket.priority.value == "high"  # the type's default priority
    clocks = page.locator("#sla-clocks")
    expect(clocks).to_contain_text("מענה ראשון")
    expect(clocks).to_contain_text("פתרון")
    expect(clocks.locator("[data-clock=resolution]")).to_have_attribute("data-state", "running")
    expect(page.locator("h1")).to_contain_text(ticket.number)
    screenshot(page, "ticket-he")

    # Answered: the first-response clock is met.
    page.locator("#ticket-responded").click()
    expect(clocks.locator("[data-clock=first_response]")).to_have_attribute("data-state", "met")

    # Waiting for the customer: the clocks stand still.
    _move(page, ticket, "ממתינה ללקוח")
    page.wait_for_url(f"**/r/tickets/{ticket.pk}/")
    expect(clocks.locator("[data-clock=resolution]")).to_have_attribute("data-state", "paused")

    # Resolved without saying how: refused, nothing written.
    _move(page, ticket, "נפתרה")
    expect(page.locator(".record-form")).to_contain_text("השדה הזה הוא חובה בסטטוס הזה.")
    ticket.refresh_from_db()
    assert ticket.status.value == "waiting_customer"
    page.locator("[name=resolution]").fill("הותקן מנהל התקן חדש")
    page.locator("form [type=submit]").last.click()
    page.wait_for_url(f"**/r/tickets/{ticket.pk}/")
    expect(clocks.locator("[data-clock=resolution]")).to_have_attribute("data-state", "met")
    ticket.refresh_from_db()
    assert ticket.status.value == "resolved"
    assert ticket.resolved_at is not None

    # The same in English (left to right).
    agent.language = "en"
    agent.save(update_fields=["language"])
    english = open_page(language="en-US")
    log_in(english, agent.username)
    other = _open_ticket(
        english, "Price list please", "Marketing information", "Price list", "Installing software"
    )
    expect(english.locator("#sla-clocks")).to_contain_text("First response")
    _move(english, other, "Closed")
    expect(english.locator(".record-form")).to_contain_text(
        "This field is required at this status."
    )
    other.refresh_from_db()
    assert other.status.value == "new"

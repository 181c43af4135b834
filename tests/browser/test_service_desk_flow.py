"""The agent's desk in a real browser (issue 18 items 3, 4; decision 0072): an agent answers a
customer's e-mailed ticket by e-mail with a canned reply inserted in one click, then merges a
duplicate ticket into it — in Hebrew (right to left), then in English.

REQ IN-1, SV-7, SV-9.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from kesher.customers.tests.factories import make_contact
from kesher.integrations.models import OutgoingMessage
from kesher.service.models import Mailbox, Ticket
from kesher.service.services import canned_reply_create
from kesher.service.tests.factories import make_ticket
from tests.browser.conftest import htmx_settled

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _reply_and_merge(page, ticket, duplicate, expected_text, shot):
    page.goto(f"/r/tickets/{ticket.pk}/")
    page.wait_for_load_state("networkidle")
    page.locator("#ticket-reply").click()
    form = page.locator("#reply-form")
    expect(form).to_be_visible()
    page.locator("#canned-replies button").first.click()
    expect(form.locator("textarea")).to_have_value(expected_text)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    shot(page)
    with page.expect_navigation():
        form.locator("#reply-send").click()
    expect(page.locator("#reply-form")).to_have_count(0)
    # The page loads its timeline after it shows: the test reads the database once it did
    # (SQLite's test database is one connection the live server shares).
    page.wait_for_load_state("networkidle")
    sent = OutgoingMessage.objects.get(link_id=ticket.pk)
    assert ticket.number in sent.subject
    assert expected_text.split(",")[0] in sent.body_text
    ticket.refresh_from_db()
    assert ticket.first_responded_at is not None

    page.goto(f"/r/tickets/{duplicate.pk}/")
    page.wait_for_load_state("networkidle")
    page.locator("#ticket-merge").click()
    expect(page.locator("#merge-form")).to_be_visible()
    htmx_settled(page)
    page.locator("#id_into-search").press_sequentially(ticket.number)
    page.locator(f"#merge-form [data-pick='{ticket.pk}']").click()
    with page.expect_navigation():
        page.locator("#merge-save").click()
    page.wait_for_url(f"**/r/tickets/{ticket.pk}/")
    page.wait_for_load_state("networkidle")
    duplicate.refresh_from_db()
    assert duplicate.merged_into_id == ticket.pk
    assert duplicate.resolved_at is not None


def test_an_agent_replies_with_a_canned_reply_and_merges_a_duplicate(
    users, open_page, log_in, screenshot
):
    agent = users["support_agent"]
    Mailbox.objects.create(address="support@kesher-demo.example", name="תמיכה")
    canned_reply_create(
        actor=users["admin"],
        data={
            "name": "קיבלנו",
            "body_he": "שלום {{ contact.first_name }}, קיבלנו את {{ number }}.",
            "body_en": "Hello {{ contact.first_name }}, we have {{ number }}.",
        },
    )
    dana = make_contact(users["admin"], first_name="דנה", email="dana@customer.example")
    ticket = make_ticket(agent, subject="הדוח לא עולה", contact=dana)
    duplicate = make_ticket(agent, subject="שוב הדוח", contact=dana)
    page = open_page()
    log_in(page, agent.username)
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    _reply_and_merge(
        page,
        ticket,
        duplicate,
        f"שלום דנה, קיבלנו את {ticket.number}.",
        lambda p: screenshot(p, "ticket-reply-he"),
    )

    agent.language = "en"
    agent.save(update_fields=["language"])
    john = make_contact(users["admin"], first_name="John", email="john@customer.example")
    other = make_ticket(agent, subject="Report fails", contact=john)
    again = make_ticket(agent, subject="Report fails again", contact=john)
    english = open_page(language="en-US")
    log_in(english, agent.username)
    expect(english.locator("html")).to_have_attribute("dir", "ltr")
    _reply_and_merge(
        english,
        other,
        again,
        f"Hello John, we have {other.number}.",
        lambda p: screenshot(p, "ticket-reply-en"),
    )
    assert Ticket.objects.filter(merged_into__isnull=False).count() == 2

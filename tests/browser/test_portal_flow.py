"""The customer portal in a real browser (issue 18 item 6; REQ OR-2, SV-10, SV-8): a customer's
contact signs in on a phone in Hebrew, opens a request (the subtype narrowing to the type, a
help-center article suggested as he writes), sees it; an agent answers him publicly from the
ticket; he reads the answer, closes the request and rates it, and the agent sees the rating; he
accepts his quote in one click; in English the portal reads left to right. Every portal page
passes axe-core's WCAG 2.1 AA checks (IS 5568).
"""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from kesher.catalogue.tests.conftest import catalogue  # noqa: F401  (the shared catalogue)
from kesher.customers.tests.factories import make_account, make_contact
from kesher.portal.models import TicketRating
from kesher.portal.services import portal_invite
from kesher.quotes.models import Quote
from kesher.quotes.services import quote_send
from kesher.quotes.tests.factories import line, make_quote
from kesher.service.models import Ticket
from kesher.service.services import article_create
from tests.browser.conftest import htmx_settled

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PORTAL_PASSWORD = "Portal-pass-2026!"  # the customer's password in this test
WCAG_AA = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}


def _wcag_problems(page) -> list[str]:
    """What axe-core finds against WCAG 2.1 A and AA on the whole portal page."""
    found = Axe().run(page, options=WCAG_AA).response["violations"]
    return [f"{v['id']}: {[n['target'] for n in v['nodes']]}" for v in found]


def _no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _customer(users, catalogue):  # noqa: F811
    rep = users["sales_rep"]
    account = make_account(rep, name="מאפיית השחר בע״מ")
    contact = make_contact(
        rep,
        first_name="דנה",
        last_name="כהן",
        email="dana@shahar.example",
        account_links=[{"account": account}],
    )
    portal_user = portal_invite(contact, actor=rep)
    portal_user.set_password(PORTAL_PASSWORD)
    portal_user.save(update_fields=["password"])
    article_create(
        actor=users["admin"],
        data={
            "title_he": "המחשב לא נדלק: מה בודקים קודם",
            "body_he": "<p>בודקים את כבל החשמל ואת המפסק.</p>",
            "audience": "public",
            "status": "published",
        },
    )
    quote = make_quote(rep, account, line(catalogue["laptop"], "3"), name="מחשבים לסניף")
    return quote_send(quote, actor=rep)


def test_a_customer_opens_a_request_gets_an_answer_rates_it_and_accepts_a_quote(
    users,
    catalogue,  # noqa: F811
    open_page,
    log_in,
    screenshot,
):
    quote = _customer(users, catalogue)
    page = open_page(phone=True)

    # Sign in to the portal, in Hebrew, on a phone.
    page.goto("/portal/")
    expect(page).to_have_url(re.compile(r"/portal/sign-in/"))
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    assert _wcag_problems(page) == []
    page.get_by_label("דוא״ל").fill("dana@shahar.example")
    page.get_by_label("סיסמה").fill(PORTAL_PASSWORD)
    page.locator("#portal-sign-in").click()
    expect(page).to_have_url(re.compile(r"/portal/$"))
    expect(page.locator("h1")).to_contain_text("דנה")
    screenshot(page, "portal-home-he-phone")
    assert _wcag_problems(page) == []

    # Open a request: the subtype narrows to the type; an article is suggested.
    page.locator("#portal-new-ticket").click()
    htmx_settled(page)
    page.locator("#id_ticket_type").select_option(label="תמיכה טכנית")
    htmx_settled(page)
    subtypes = page.locator("#id_subtype option").all_inner_texts()
    assert "תיקון מערכת" in subtypes
    assert "מחירון" not in subtypes
    page.locator("#id_subtype").select_option(label="תיקון מערכת")
    page.locator("#id_subject").fill("המחשב לא נדלק")
    expect(page.locator("#suggested")).to_contain_text("המחשב לא נדלק: מה בודקים קודם")
    page.locator("#id_description").fill("מאז הבוקר המחשב בקופה לא נדלק.")
    assert _wcag_problems(page) == []
    assert _no_sideways_scroll(page)
    screenshot(page, "portal-new-ticket-he-phone")
    page.locator("#portal-ticket-submit").click()
    expect(page).to_have_url(re.compile(r"/portal/tickets/\d+/$"))
    ticket = Ticket.objects.get(subject="המחשב לא נדלק")
    expect(page.locator("h1")).to_contain_text(ticket.number)
    page.goto("/portal/tickets/")
    expect(page.locator("#portal-ticket-list")).to_contain_text("המחשב לא נדלק")

    # The agent answers publicly, from the ticket.
    staff = open_page()
    log_in(staff, "agent1")
    staff.goto(f"/r/tickets/{ticket.pk}/")
    staff.locator("#ticket-reply").click()
    staff.locator("#reply-form textarea").fill("שלום דנה, נא לבדוק שהמפסק בגב המחשב דולק.")
    staff.locator("#reply-send").click()
    expect(staff.locator(".alert-success")).to_be_visible()

    # The customer reads the answer, closes the request and rates it.
    page.goto(f"/portal/tickets/{ticket.pk}/")
    expect(page.locator("#portal-thread")).to_contain_text("נא לבדוק שהמפסק")
    page.locator("#portal-close").click()
    expect(page.locator("#rate")).to_be_visible()
    page.get_by_label("5", exact=True).check()
    page.get_by_label("הערה (לא חובה)").fill("תשובה מהירה, תודה!")
    page.locator("#portal-rate").click()
    expect(page.locator("#portal-rating")).to_contain_text("5")
    assert _wcag_problems(page) == []
    screenshot(page, "portal-ticket-rated-he-phone")
    assert TicketRating.objects.get(ticket=ticket).score == 5
    staff.goto(f"/r/tickets/{ticket.pk}/")
    expect(staff.locator("#ticket-csat")).to_contain_text("5/5")
    screenshot(staff, "portal-rating-on-the-ticket-he")

    # He accepts his quote in one click.
    page.goto("/portal/quotes/")
    page.locator("#portal-quotes a").first.click()
    page.locator("#portal-accept-quote").click()
    expect(page.locator("#portal-quote-status")).to_contain_text("התקבלה")
    quote.refresh_from_db()
    assert quote.status == Quote.Status.ACCEPTED
    screenshot(page, "portal-quote-accepted-he-phone")

    # In English the portal reads left to right.
    page.locator("#portal-language").click()
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    page.goto("/portal/help/?q=%D7%9E%D7%97%D7%A9%D7%91")
    expect(page.locator("#portal-articles")).to_contain_text("המחשב לא נדלק")
    assert _wcag_problems(page) == []
    screenshot(page, "portal-help-en-phone")


def test_the_portal_on_a_desktop_in_english(
    users,
    catalogue,  # noqa: F811
    open_page,
    screenshot,
):
    _customer(users, catalogue)
    page = open_page(language="en-US")
    page.goto("/portal/sign-in/")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    page.get_by_label("E-mail").fill("dana@shahar.example")
    page.get_by_label("Password").fill(PORTAL_PASSWORD)
    page.locator("#portal-sign-in").click()
    expect(page).to_have_url(re.compile(r"/portal/$"))
    # His own language is Hebrew until he switches.
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    page.locator("#portal-language").click()
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    page.goto("/portal/accessibility/")
    expect(page.locator("h1")).to_have_text("Accessibility statement")
    assert _wcag_problems(page) == []
    screenshot(page, "portal-accessibility-en")

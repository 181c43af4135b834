"""The main flow in a real browser, Hebrew first: sign in, create an account, add contacts and a
relationship from its page, find it by phone suffix in the navbar search, then switch to English.

REQ CU-1 (accounts), CU-2 (contacts with roles), CU-5 (relationships), OR-7 (works in a browser
and on a phone); DESIGN.md "Localization" (Hebrew right-to-left by default, English per user).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from kesher.customers.models import Account, ContactAccount, Relationship
from kesher.customers.services import account_create, contact_create, relationship_create
from kesher.org.models import User
from kesher.platform.models import Choice

PHONE_WIDTH = 390

pytestmark = [
    pytest.mark.browser,
    # Transactional: the live server answers from another thread, so the test's data must be
    # committed to be seen (the built_in_data fixture restores roles and pick-lists).
    pytest.mark.django_db(transaction=True),
]


def test_main_flow_in_hebrew_then_english(users, open_page, log_in, screenshot):
    rep = users["sales_rep"]
    User.objects.filter(pk=rep.pk).update(first_name="נועה", last_name="ברק")
    rep.refresh_from_db()
    parent = account_create(actor=rep, data={"name": "קבוצת הגליל בע״מ", "city": "כרמיאל"})
    page = open_page()

    # Sign in through the real form; the page is Hebrew, right to left.
    page.goto("/accounts/login/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", "he")
    screenshot(page, "login-he")
    log_in(page, rep.username)
    expect(page.locator("html")).to_have_attribute("dir", "rtl")

    # Create an organization (REQ CU-1).
    expect(page.locator("#user-menu")).to_have_text("נועה ברק")
    expect(page.locator("nav [data-entity=accounts]")).to_have_text("לקוחות")
    page.locator("nav [data-entity=accounts]").click()
    page.locator("#new-record").click()
    page.locator("#id_kind").select_option("organization")
    page.locator("#id_name").fill("אלפא מערכות בע״מ")
    page.locator("#id_company_number").fill("516179157")
    page.locator("#id_phone").fill("052-555-1234")
    page.locator("#id_email").fill("office@alpha.co.il")
    page.locator("#id_city").fill("חיפה")
    screenshot(page, "account-form-he")
    page.locator("#save-record").click()
    expect(page.locator("#record-title")).to_have_text("אלפא מערכות בע״מ")
    account = Account.objects.get(name="אלפא מערכות בע״מ")
    assert account.phone == "+972525551234"
    assert account.owner == rep

    # Two contacts, each with a role at the account (REQ CU-2).
    expect(page.locator("#add-contact")).to_have_text("+ הוספת איש קשר")
    for first, last, role, mobile, email in (
        ("דנה", "לוי", "מנכ״לית", "054-777-0001", "dana@alpha.co.il"),
        ("יוסי", "כהן", "רכש", "054-777-0002", "yossi@alpha.co.il"),
    ):
        page.locator("#add-contact").click()
        page.locator("#id_role").fill(role)
        page.locator("#id_first_name").fill(first)
        page.locator("#id_last_name").fill(last)
        page.locator("#id_mobile").fill(mobile)
        page.locator("#id_email").fill(email)
        if first == "דנה":
            screenshot(page, "contact-form-he")
        page.locator("#save-record").click()
        expect(page.locator("#account-contacts")).to_contain_text(f"{first} {last}")
        expect(page.locator("#account-contacts")).to_contain_text(role)
    links = ContactAccount.objects.filter(account=account).order_by("contact__first_name")
    assert [(str(link.contact), link.role) for link in links] == [
        ("דנה לוי", "מנכ״לית"),
        ("יוסי כהן", "רכש"),
    ]

    # A relationship to another account, picked by typing part of its name (REQ CU-5).
    panel = page.locator("#relationships")
    panel.locator("#rel-type").select_option(label="חברת אם של")
    panel.locator("#rel-target-search").press_sequentially("הגליל")
    panel.locator(f"[data-pick='{parent.pk}']").click()
    expect(panel.locator("#rel-to-account")).to_have_value(str(parent.pk))
    panel.locator("#add-relationship-btn").click()
    expect(page.locator("#relationships")).to_contain_text("חברת אם של")
    expect(page.locator("#relationships")).to_contain_text("קבוצת הגליל")
    assert Relationship.objects.filter(from_account=account, to_account=parent).exists()

    # The navbar search finds the account by the last digits of its phone, in a popup.
    page.goto("/")
    page.locator("#global-search").press_sequentially("5551234")
    result = page.locator("#search-popup").get_by_role("link", name=re.compile("אלפא מערכות"))
    expect(result).to_be_visible()
    screenshot(page, "search-he")
    result.click()
    expect(page.locator("#record-title")).to_have_text("אלפא מערכות בע״מ")

    # The list of accounts, Hebrew.
    page.locator("nav [data-entity=accounts]").click()
    expect(page.locator("#record-table")).to_contain_text("אלפא מערכות")
    screenshot(page, "list-he")

    # Switch to English from the user menu: left to right, English labels.
    page.goto(f"/r/accounts/{account.pk}/")
    page.locator("#user-menu").click()
    page.locator("#switch-language").click()
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#add-contact")).to_contain_text("Add contact")
    expect(page.locator("#relationships")).to_contain_text("Parent company of")
    rep.refresh_from_db()
    assert rep.language == "en"


def test_account_page_and_list_on_a_phone(users, open_page, log_in, screenshot):
    """On a phone the navbar collapses behind its toggler, the account page stacks into one
    column and nothing needs sideways scrolling (REQ OR-7)."""
    rep = users["sales_rep"]
    User.objects.filter(pk=rep.pk).update(first_name="נועה", last_name="ברק")
    rep.refresh_from_db()
    account = account_create(
        actor=rep,
        data={
            "name": "אלפא מערכות בע״מ",
            "company_number": "516179157",
            "phone": "052-555-1234",
            "email": "office@alpha.co.il",
            "city": "חיפה",
        },
    )
    parent = account_create(actor=rep, data={"name": "קבוצת הגליל בע״מ", "city": "כרמיאל"})
    contact_create(
        actor=rep,
        data={"first_name": "דנה", "last_name": "לוי", "mobile": "054-777-0001"},
        account_links=[{"account": account, "role": "מנכ״לית"}],
    )
    relationship_create(
        actor=rep,
        data={
            "from_account": account,
            "to_account": parent,
            "type": Choice.objects.get(list_key="relationship_type", value="parent"),
        },
    )
    page = open_page(phone=True)
    log_in(page, rep.username)
    page.goto(f"/r/accounts/{account.pk}/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("#mainnav")).to_be_hidden()
    expect(page.locator("#account-contacts")).to_contain_text("דנה לוי")
    expect(page.locator("#relationships")).to_contain_text("קבוצת הגליל")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH

    # The collapsed menu opens, and the global search works from it.
    page.locator(".navbar-toggler").click()
    expect(page.locator("#mainnav")).to_be_visible()
    page.locator("#global-search").press_sequentially("5551234")
    expect(
        page.locator("#search-popup").get_by_role("link", name=re.compile("אלפא מערכות"))
    ).to_be_visible()
    screenshot(page, "search-phone-he")

    # The list: the filters fold behind a button, the table scrolls inside its card and the
    # page itself does not scroll sideways.
    page.locator("nav [data-entity=accounts]").click()
    expect(page.locator("#record-table")).to_contain_text("קבוצת הגליל")
    expect(page.locator("#mainnav")).to_be_hidden()
    expect(page.locator("#list-filters")).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH
    screenshot(page, "list-phone-he")
    page.locator("#toggle-filters").click()
    expect(page.locator("#f-city")).to_be_visible()
    page.locator("#f-city").fill("כרמיאל")
    page.locator("#f-city").press("Enter")
    expect(page.locator("#record-table tbody tr")).to_have_count(1)
    expect(page.locator("#record-table")).to_contain_text("קבוצת הגליל")


def test_relationship_with_a_contact_and_what_a_viewer_sees(users, open_page, log_in):
    """The relationships panel picks among contacts once "contact" is chosen (REQ CU-5), and a
    read-only user gets no buttons that would be refused (REQ OR-3)."""
    rep = users["sales_rep"]
    account = account_create(actor=rep, data={"name": "אלפא מערכות בע״מ"})
    contact = contact_create(actor=rep, data={"first_name": "משה", "last_name": "ישראלי"})
    page = open_page()
    log_in(page, rep.username)
    page.goto(f"/r/accounts/{account.pk}/")
    panel = page.locator("#relationships")
    panel.locator("#rel-type").select_option(label="עובד עם")
    panel.locator("#rel-kind").select_option("contact")
    search = panel.locator("#rel-target-search")
    search.press_sequentially("אלפא")
    expect(panel.locator(".picker-options")).not_to_be_empty()
    expect(panel.locator("[data-pick]")).to_have_count(0)  # accounts are not offered now
    search.fill("")
    search.press_sequentially("משה")
    panel.locator(f"[data-pick='{contact.pk}']").click()
    expect(panel.locator("#rel-to-contact")).to_have_value(str(contact.pk))
    expect(panel.locator("#rel-to-account")).to_have_value("")
    panel.locator("#add-relationship-btn").click()
    expect(page.locator("#relationships")).to_contain_text("משה ישראלי")
    assert Relationship.objects.filter(from_account=account, to_contact=contact).exists()

    viewer = open_page()
    log_in(viewer, users["read_only"].username)
    viewer.goto(f"/r/accounts/{account.pk}/")
    expect(viewer.locator("#relationships")).to_contain_text("משה ישראלי")
    expect(viewer.locator("#account-contacts")).to_be_visible()
    expect(viewer.locator("#add-contact")).to_have_count(0)
    expect(viewer.locator("#add-relationship")).to_have_count(0)
    expect(viewer.locator("#edit-record")).to_have_count(0)

"""The record page in a real browser (issue 14 item 7; REQ CU-7, CU-8, OR-7): it reads from the
top — the account's name, its key fields and its actions, then its alerts and 360° figures —
in Hebrew and in English, on a desktop and on a phone, where the actions, the activities and
the files are reached without scrolling through every section. Sections fold with a button
(keyboard too) and stay as they were left; a call is logged from the header in one click and
lands in the one timeline. The duplicates queue and the merge wizard work on a phone. Each page
passes axe-core's WCAG 2.1 AA checks (IS 5568 follows them): landmarks, names, contrast.
"""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from playwright.sync_api import expect

from kesher.activities.models import Interaction
from kesher.activities.services import alert_rule_create
from kesher.activities.tests.factories import make_interaction, make_task
from kesher.customers.models import Contact
from kesher.customers.services import account_create, contact_create, relationship_create
from kesher.dedupe.scan import scan_start
from kesher.org.models import User
from kesher.platform.models import Choice
from kesher.platform.records.attachments import attachment_add

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WCAG_AA = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}
DESKTOP_HEIGHT = 800
PHONE = {"width": 390, "height": 844}


def _wcag_problems(page) -> list[str]:
    """What axe-core finds against WCAG 2.1 A and AA on the whole page, the top bar included."""
    found = Axe().run(page, options=WCAG_AA).response["violations"]
    return [f"{v['id']}: {[n['target'] for n in v['nodes']]}" for v in found]


def _no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _in_first_screen(page, selector: str, height: int) -> bool:
    """Whether the element is wholly on the screen the page opens at, left to right too."""
    box = page.locator(selector).first.bounding_box()
    width = page.evaluate("window.innerWidth")
    return (
        box["y"] >= 0
        and box["y"] + box["height"] <= height
        and box["x"] >= 0
        and (box["x"] + box["width"] <= width)
    )


def _a_busy_account(users):
    """An account as a salesperson meets it: a status, contacts with roles, a relationship,
    an alert, an open task, a call and a file."""
    admin, rep = users["admin"], users["sales_rep"]
    User.objects.filter(pk=rep.pk).update(first_name="נועה", last_name="ברק")
    rep.refresh_from_db()
    alert_rule_create(
        actor=admin,
        data={
            "name": "VIP",
            "condition": {"field": "status", "op": "eq", "value": "vip"},
            "message": "לקוח VIP: לתאם כל פנייה עם מנהלת התיק",
        },
    )
    account = account_create(
        actor=rep,
        data={
            "name": "אלפא מערכות בע״מ",
            "company_number": "516179157",
            "phone": "052-555-1234",
            "email": "office@alpha.co.il",
            "city": "חיפה",
            "street": "העצמאות 12",
            "status": Choice.objects.get(list_key="account_status", value="vip"),
        },
    )
    parent = account_create(actor=rep, data={"name": "קבוצת הגליל בע״מ", "city": "כרמיאל"})
    for first, last, role in (("דנה", "לוי", "מנכ״לית"), ("יוסי", "כהן", "רכש")):
        contact_create(
            actor=rep,
            data={"first_name": first, "last_name": last},
            account_links=[{"account": account, "role": role}],
        )
    relationship_create(
        actor=rep,
        data={
            "from_account": account,
            "to_account": parent,
            "type": Choice.objects.get(list_key="relationship_type", value="parent"),
        },
    )
    make_task(
        rep,
        account,
        title="לשלוח הצעת מחיר מעודכנת",
        assignee=rep,
        due_at=timezone.now() + timezone.timedelta(days=2),
    )
    make_interaction(rep, account, subject="שיחת היכרות עם דנה", owner=rep)
    attachment_add(
        account,
        actor=rep,
        uploaded=SimpleUploadedFile("הצעת מחיר.pdf", b"%PDF-1.4 " + b"0" * 4000),
    )
    return rep, account


def test_the_record_page_on_a_desktop_in_hebrew_and_english(users, open_page, log_in, screenshot):
    rep, account = _a_busy_account(users)
    page = open_page()
    log_in(page, rep.username)
    page.goto(f"/r/accounts/{account.pk}/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("#timeline")).to_contain_text("שיחת היכרות עם דנה")

    # The first screen: name, key fields, the actions, the alert and the figures.
    expect(page.locator("#record-title")).to_have_text("אלפא מערכות בע״מ")
    expect(page.locator("#record-headline [data-field=status]")).to_have_text("VIP")
    expect(page.locator("#record-headline [data-field=owner]")).to_have_text("נועה ברק")
    expect(page.locator("#record-headline [data-field=phone]")).to_have_text("052-555-1234")
    for selector in (
        "#record-title",
        "#record-headline",
        "#edit-record",
        "#log-interaction",
        "#new-task",
        "#record-alerts .record-alert",
        "#key-figures",
    ):
        assert _in_first_screen(page, selector, DESKTOP_HEIGHT), selector
    expect(page.locator("[data-figure=open_tasks]")).to_contain_text("1")
    # One timeline beside the activities.
    expect(page.locator("#timeline")).to_have_count(1)
    expect(page.locator("#open-tasks")).to_contain_text("לשלוח הצעת מחיר מעודכנת")
    expect(page.locator("#record-file-list")).to_contain_text("הצעת מחיר.pdf")
    assert _wcag_problems(page) == []
    screenshot(page, "account-he")

    # A section folds with its button, by mouse or keyboard, and stays as it was left.
    address = page.locator("#part-s2-title")
    expect(address).to_have_attribute("aria-expanded", "true")
    address.click()
    expect(address).to_have_attribute("aria-expanded", "false")
    expect(page.locator("#part-s2")).to_be_hidden()
    page.reload()
    expect(page.locator("#part-s2-title")).to_have_attribute("aria-expanded", "false")
    expect(page.locator("#part-s2")).to_be_hidden()
    page.locator("#part-s2-title").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#part-s2")).to_be_visible()
    expect(page.locator("#part-s2-title")).to_have_attribute("aria-expanded", "true")

    # "Log a call" in the header: the form opens under it, the cursor in it, in one click.
    page.locator("#log-interaction").click()
    form = page.locator("#record-action-form #quick-interactions")
    expect(form).to_be_visible()
    expect(form.locator("select, input:not([type=hidden])").first).to_be_focused()
    form.locator("#id_subject").fill("שיחת מעקב על ההצעה")
    page.locator("#quick-save").click()
    page.wait_for_url(re.compile(rf"/r/accounts/{account.pk}/$"))
    expect(page.locator("#recent-interactions")).to_contain_text("שיחת מעקב על ההצעה")
    expect(page.locator("#timeline")).to_contain_text("שיחת מעקב על ההצעה")
    assert Interaction.objects.filter(subject="שיחת מעקב על ההצעה", link_id=account.pk).exists()
    # The timeline by kind: the tasks alone.
    page.locator("#timeline-kind").select_option("tasks")
    expect(page.locator("#timeline[data-kind=tasks]")).to_contain_text("לשלוח הצעת מחיר")
    expect(page.locator("#timeline")).not_to_contain_text("שיחת מעקב על ההצעה")

    # The same page in English: left to right, English labels, the same order and checks.
    page.locator("#user-menu").click()
    page.locator("#switch-language").click()
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    expect(page.locator("#record-nav")).to_contain_text("Files")
    expect(page.locator("#log-interaction")).to_contain_text("Log a call")
    expect(page.locator("#customer-360")).to_contain_text("Customer at a glance")
    assert _in_first_screen(page, "#log-interaction", DESKTOP_HEIGHT)
    assert _wcag_problems(page) == []
    screenshot(page, "account-en")


def test_the_record_page_on_a_phone(users, open_page, log_in, screenshot):
    """One column; the actions and the in-page navigation on the first screen; the activities
    before the sections; the files one tap away; nothing wider than the phone."""
    rep, account = _a_busy_account(users)
    page = open_page(phone=True)
    log_in(page, rep.username)
    page.goto(f"/r/accounts/{account.pk}/")
    expect(page.locator("#timeline")).to_contain_text("שיחת היכרות עם דנה")
    assert _no_sideways_scroll(page)
    for selector in ("#record-title", "#edit-record", "#log-interaction", "#new-task"):
        assert _in_first_screen(page, selector, PHONE["height"]), selector
    nav = page.locator("#record-nav")
    assert page.locator("#record-nav").bounding_box()["y"] < PHONE["height"] * 1.5
    # The activities come before the record's sections, the timeline after them.
    top = {
        name: page.locator(selector).bounding_box()["y"]
        for name, selector in (
            ("activities", "#record-activities"),
            ("details", "#record-details"),
            ("timeline", "#record-timeline"),
        )
    }
    assert top["activities"] < top["details"] < top["timeline"]
    # One column: the sections as wide as the page's content.
    widths = page.evaluate(
        "[...document.querySelectorAll('.record-section')]"
        ".map((section) => section.getBoundingClientRect().width)"
    )
    assert min(widths) > PHONE["width"] * 0.85
    assert _wcag_problems(page) == []
    screenshot(page, "account-phone-he")

    # The files, one tap on the navigation away; the navigation stays at the top meanwhile.
    nav.get_by_role("link", name="קבצים").click()
    expect(page.locator("#record-file-list")).to_be_in_viewport()
    # The sticky bar itself: its list of sections scrolls sideways within it on a phone, now
    # that every module adds its section (quotes, orders, projects…).
    expect(page.locator("nav.record-nav")).to_be_in_viewport()
    expect(page.locator("#record-file-list")).to_contain_text("הצעת מחיר.pdf")
    # "New task" from the top of the page, its form where it was asked for.
    page.evaluate("window.scrollTo(0, 0)")
    page.locator("#new-task").click()
    expect(page.locator("#record-action-form #quick-tasks")).to_be_in_viewport()
    assert _no_sideways_scroll(page)


def test_duplicates_are_reviewed_and_merged_on_a_phone(users, open_page, log_in, screenshot):
    admin = users["admin"]
    first = contact_create(
        actor=admin,
        data={"first_name": "דנה", "last_name": "כהן", "phone": "0525551234", "city": "חיפה"},
    )
    second = contact_create(
        actor=admin,
        data={
            "first_name": "דנה",
            "last_name": "כהן",
            "phone": "052-555-1234",
            "email": "dana.cohen.long.address@example-company.co.il",
        },
    )
    scan_start(actor=admin, entity_key="contacts")
    page = open_page(phone=True)
    log_in(page, admin.username)
    page.goto("/duplicates/contacts/")
    row = page.locator("#duplicate-pairs tbody tr[data-pair]")
    expect(row).to_have_count(1)
    assert _no_sideways_scroll(page)
    # Each pair is a card: the names, why, the score and the two buttons, all on the screen.
    for selector in (".merge-pair", ".dismiss-pair"):
        assert _in_first_screen(page, f"#duplicate-pairs {selector}", PHONE["height"]), selector
    assert _wcag_problems(page) == []
    screenshot(page, "duplicates-queue-phone-he")

    row.locator(".merge-pair").click()
    expect(page.locator("#merge-fields")).to_be_visible()
    assert _no_sideways_scroll(page)
    assert _wcag_problems(page) == []
    screenshot(page, "merge-wizard-phone-he")
    page.locator("#merge-submit").click()
    page.wait_for_url(re.compile(r"/r/contacts/\d+/$"))
    assert Contact.objects.filter(pk__in=[first.pk, second.pk]).count() == 1

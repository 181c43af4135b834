"""The timeline in a real browser (issue 14 items 2 and 7; decision 0041): a record changed by a
Hebrew user reads in English, in his time zone, for an English user; a sales rep reads that his
contact was linked to an account he may not see, never its name."""

from __future__ import annotations

import datetime

import pytest
from playwright.sync_api import expect

from kesher.customers.services import account_create, account_update, contact_link_account
from kesher.customers.tests.factories import choice, make_contact
from kesher.platform.models import CustomField

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_hebrew_change_reads_in_english(users, open_page, log_in, screenshot):
    admin, reader = users["admin"], users["read_only"]
    CustomField.objects.create(
        entity="accounts", key="budget", label_he="תקציב", label_en="Budget", type="money"
    )
    account = account_create(
        actor=admin, data={"name": "אקמה", "status": choice("account_status", "lead")}
    )
    account_update(
        account,
        actor=admin,
        data={
            "status": choice("account_status", "active"),
            "club_member": True,
            "club_joined_on": datetime.date(2026, 1, 5),
            "custom": {"budget": "12345.5"},
        },
    )
    reader.language, reader.time_zone = "en", "America/New_York"
    reader.save(update_fields=["language", "time_zone"])

    page = open_page(language="en-US")
    log_in(page, reader.username)
    page.goto(f"/r/accounts/{account.pk}/")
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("Active customer")
    for text in ("Lead", "Budget", "₪12,345.50", "Customer club member", "05/01/2026"):
        expect(timeline).to_contain_text(text)
    expect(timeline).not_to_contain_text("לקוח פעיל")
    expect(timeline).not_to_contain_text("custom_fields")
    screenshot(page, "timeline-en")


def test_a_sales_rep_reads_a_link_he_may_not_follow_without_its_name(
    users, open_page, log_in, screenshot
):
    admin, rep1, rep2 = users["admin"], users["sales_rep"], users["sales_rep2"]
    contact = make_contact(rep1, first_name="דנה", last_name="כהן", owner=rep1)
    theirs = account_create(actor=rep2, data={"name": "גלובקס של נציג אחר", "owner": rep2})
    contact_link_account(contact, actor=admin, account=theirs, role="מנכ״לית")

    page = open_page()
    log_in(page, rep1.username)
    page.goto(f"/r/contacts/{contact.pk}/")
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("רשומה שאין לך הרשאה לראות")
    expect(timeline).not_to_contain_text(theirs.name)
    screenshot(page, "timeline-hidden-link-he")

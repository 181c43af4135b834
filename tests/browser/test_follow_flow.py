"""Following and mentions in a real browser (issue 23 item 4; seed 003, "things fall between
the chairs"): a manager follows a rep's deal from its page (Hebrew, right to left); the rep
changes the deal and writes a note mentioning a colleague who reads English, choosing her from
the picker after typing "@" and the start of her name; the manager's notifications and feed
show the change in Hebrew, the colleague's the mention in English.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from kesher.sales.tests.factories import make_opportunity
from tests.browser.conftest import htmx_settled

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_follow_change_mention_notified_in_each_language(users, open_page, log_in, screenshot):
    manager, rep, admin = users["manager"], users["sales_rep"], users["admin"]
    manager.first_name, manager.last_name = "מיכל", "המנהלת"
    manager.save(update_fields=["first_name", "last_name"])
    rep.first_name, rep.last_name = "רון", "המוכר"
    rep.save(update_fields=["first_name", "last_name"])
    admin.first_name, admin.last_name, admin.language = "Dana", "Green", "en"
    admin.save(update_fields=["first_name", "last_name", "language"])
    deal = make_opportunity(rep, name="מרכזייה לסניף חיפה", amount=48000)

    # The manager follows the deal from its page, in Hebrew, right to left.
    manager_page = open_page()
    log_in(manager_page, manager.username)
    manager_page.goto(f"/r/opportunities/{deal.pk}/")
    assert manager_page.locator("html").get_attribute("dir") == "rtl"
    follow = manager_page.locator("#follow-record")
    expect(follow).to_contain_text("מעקב")
    follow.click()
    expect(manager_page.locator("#follow-record")).to_have_attribute("aria-pressed", "true")
    expect(manager_page.locator("#follow-record")).to_contain_text("במעקב")
    manager_page.locator("#record-followers").click()
    expect(manager_page.locator("#follow-box .dropdown-menu")).to_contain_text("מיכל המנהלת")
    screenshot(manager_page, "follow-record-he")

    # The rep changes the deal, then writes a note mentioning Dana: "@Dan" finds her.
    rep_page = open_page()
    log_in(rep_page, rep.username)
    rep_page.goto(f"/r/opportunities/{deal.pk}/edit/")
    rep_page.locator("#id_name").fill("מרכזייה לסניפי חיפה וחדרה")
    rep_page.locator("#save-record").click()
    rep_page.wait_for_url(re.compile(rf"/r/opportunities/{deal.pk}/$"))
    htmx_settled(rep_page)
    body = rep_page.locator("#note-body")
    body.click()
    body.press_sequentially("הלקוח מבקש הצעה מעודכנת, @Dan")
    option = rep_page.locator("#note-form [data-mention]").first
    expect(option).to_contain_text("Dana Green")
    option.click()
    expect(rep_page.locator("#note-mentions .records-picker-chip")).to_contain_text("Dana Green")
    body.press_sequentially("מה דעתך?")
    assert "@Dana Green" in body.input_value()
    screenshot(rep_page, "follow-note-mention-he")
    rep_page.locator("#note-submit").click()
    rep_page.wait_for_url(re.compile(rf"/r/opportunities/{deal.pk}/$"))
    expect(rep_page.locator("#timeline")).to_contain_text("@Dana Green")
    screenshot(rep_page, "follow-timeline-he")

    # The manager hears of both, in Hebrew: his notifications and his feed.
    manager_page.goto("/activities/notifications/")
    notices = manager_page.locator("main")
    expect(notices).to_contain_text("שינוי מאת רון המוכר")
    expect(notices).to_contain_text("הערה חדשה מאת רון המוכר")
    manager_page.locator("#activities-menu").click()
    manager_page.locator("#nav-feed").click()
    manager_page.wait_for_url(re.compile(r"/collab/feed/$"))
    feed = manager_page.locator("#feed")
    expect(feed.locator(".feed-entry")).to_have_count(2)
    expect(feed.locator(".feed-entry").first).to_contain_text("@Dana Green")
    expect(feed.locator(".feed-entry").nth(1)).to_contain_text("מרכזייה לסניפי חיפה וחדרה")
    assert manager_page.locator("html").get_attribute("dir") == "rtl"
    screenshot(manager_page, "follow-feed-he")

    # Dana reads the mention in English, left to right, and opens the deal from her feed.
    admin_page = open_page(language="en-US")
    log_in(admin_page, admin.username)
    admin_page.goto("/activities/notifications/")
    assert admin_page.locator("html").get_attribute("dir") == "ltr"
    expect(admin_page.locator("main")).to_contain_text("רון המוכר mentioned you (opportunity)")
    admin_page.goto("/collab/feed/")
    entry = admin_page.locator("#feed .feed-entry").first
    expect(entry).to_contain_text("wrote a note on")
    screenshot(admin_page, "follow-feed-en")
    entry.locator("a.fw-semibold").click()
    admin_page.wait_for_url(re.compile(rf"/r/opportunities/{deal.pk}/$"))
    # She follows it now, being mentioned; she unfollows from her feed.
    expect(admin_page.locator("#follow-record")).to_have_attribute("aria-pressed", "true")
    admin_page.goto("/collab/feed/")
    admin_page.locator("#feed .feed-unfollow").first.click()
    admin_page.wait_for_url(re.compile(r"/collab/feed/$"))
    expect(admin_page.locator("#feed-empty")).to_be_visible()

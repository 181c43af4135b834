"""The demo's home pages in a real browser, in Hebrew (issue 14 item 7: the demo tells a
story): a sales rep and a sales manager sign in with the demo password and find their day —
tasks (some overdue), coming meetings, recent interactions, unread notifications and, for the
manager, approvals waiting. The screenshots are the user guide's.

REQ IM-6, OR-7.
"""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from kesher.demo.organization import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("load_demo", "--once", stdout=io.StringIO())


def test_a_demo_users_home_shows_the_day(demo, open_page, log_in, screenshot):
    """A rep and then a manager, on one demo load (it is most of the test's time)."""
    for username, name in (("omer", "home-rep-he"), ("michal", "home-manager-he")):
        page = open_page()
        log_in(page, username, DEMO_PASSWORD)
        expect(page.locator("#home-tasks [data-task-row]").first).to_be_visible()
        expect(page.locator("#home-tasks .task-overdue").first).to_be_visible()
        expect(page.locator("#home-meetings li a").first).to_be_visible()
        expect(page.locator("#home-interactions li a").first).to_be_visible()
        expect(page.locator("#unread-count")).to_be_visible()
        assert page.evaluate("document.documentElement.dir") == "rtl"
        # Nothing spills out of the page sideways.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        screenshot(page, name)

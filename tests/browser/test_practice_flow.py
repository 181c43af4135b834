"""The practice environment in a real browser (issue 6 item 7; REQ IM-6, IMPL-2): an
administrator creates it from the Organization menu, resets it from live and deletes it; its
pages carry the banner.

The worker runs what a request queues at once here (django-tasks' immediate backend), so the
copy is made before the page comes back. The banner is shown by switching the setting the
practice process starts with (``KESHER_PRACTICE``) in this server; that the practice process
opens only the copy is tested with a real second process in kesher/practice/tests.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from kesher.customers.services import contact_create
from kesher.practice.models import PracticeEnvironment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def practice_settings(settings, tmp_path):
    settings.KESHER_PRACTICE_DIR = tmp_path / "practice"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    return settings


def test_create_reset_delete_and_the_banner(
    users, open_page, log_in, screenshot, practice_settings
):
    admin = users["admin"]
    contact_create(actor=admin, data={"first_name": "דנה", "last_name": "כהן"})
    page = open_page()
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page, admin.username)

    # Organization → Practice environment; nothing there yet.
    page.get_by_role("button", name="ארגון").or_(page.get_by_role("link", name="ארגון")).click()
    page.get_by_role("link", name="סביבת תרגול").click()
    state = page.locator("#practice-state")
    expect(state).to_have_attribute("data-status", "absent")
    expect(page.locator("#practice-banner")).to_have_count(0)

    # Creating and resetting copy the whole database before the page answers: on a loaded
    # machine that takes longer than a click's usual wait.
    page.locator("#practice-create").click(timeout=60_000)
    expect(state).to_have_attribute("data-status", "ready")
    expect(page.locator("#practice-link")).to_have_text("http://127.0.0.1:8001/")
    screenshot(page, "practice-admin-he")
    copied = PracticeEnvironment.objects.get().copied_at

    # Reset from live copies again; delete removes it.
    page.locator("#practice-reset").click(timeout=60_000)
    expect(state).to_have_attribute("data-status", "ready")
    assert PracticeEnvironment.objects.get().copied_at > copied
    page.locator("#practice-delete").click(timeout=60_000)
    expect(state).to_have_attribute("data-status", "absent")
    expect(page.locator("#practice-create")).to_be_visible()

    # What the practice process shows: the banner on every page, before sign-in too, and a
    # practice page that cannot manage itself.
    practice_settings.KESHER_PRACTICE = True
    page.goto("/r/contacts/")
    banner = page.locator("#practice-banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("סביבת תרגול")
    box = banner.bounding_box()
    # Across the top of the page, above the menu.
    assert box["y"] == 0, box
    assert box["width"] >= 1200, box
    screenshot(page, "practice-banner")
    page.goto("/practice/")
    expect(page.locator("#practice-here")).to_be_visible()
    expect(page.locator("#practice-create")).to_have_count(0)

    other = open_page(language="en-US")
    other.goto("/accounts/login/")
    expect(other.locator("#practice-banner")).to_be_visible()

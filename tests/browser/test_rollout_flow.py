"""The guided roll-out in a real browser, in Hebrew (issue 23 items 1-2; REQ IMPL-1, IMPL-2,
AU-2): the administrator sets the project's budget and schedule, opens the sample process
(seed 000's sBills service process), turns it into Kesher in one click and gets its statuses
and rules, confirms a user's exercises on "who is trained", and ticks go-live."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.test import Client
from playwright.sync_api import expect

from kesher.automation.models import Rule
from kesher.platform.models import Choice
from kesher.rollout.models import Item, MappedProcess, Project

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _signed_in(open_page, live_server, user):
    client = Client()
    client.force_login(user)
    page = open_page()
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": django_settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )
    return page


def test_admin_maps_installs_trains_and_goes_live(users, open_page, live_server, screenshot):
    admin, agent = users["admin"], users["support_agent"]
    page = _signed_in(open_page, live_server, admin)
    page.on("dialog", lambda dialog: dialog.accept())

    # The roll-out page from the Organization menu; the project's budget and schedule.
    page.goto("/")
    page.locator("#nav-rollout").dispatch_event("click")
    page.wait_for_url("**/rollout/")
    page.locator("#id_budget").fill("45000")
    page.locator("#id_starts_on").fill("2027-01-03")
    page.locator("#id_go_live_on").fill("2027-03-01")
    page.locator("#project-save").click()
    expect(page.locator('[data-item="budget"]')).to_have_attribute("data-done", "1")
    expect(page.locator('[data-item="schedule"]')).to_have_attribute("data-done", "1")
    assert str(Project.objects.get().budget) == "45000.00"

    # The sample process, mapped by the six questions, turned into Kesher in one click.
    page.locator("#rollout-processes").click()
    page.get_by_role("link", name="טיפול בפניית שירות (sBills)").click()
    expect(page.locator("#id_stages")).to_contain_text("in_development | בפיתוח")
    page.locator("#process-install").click()
    expect(page.locator("#process-installed")).to_be_visible()
    assert Choice.objects.filter(list_key="ticket_status", value="in_qa").exists()
    assert Rule.objects.filter(entity="tickets").count() == 4
    assert MappedProcess.objects.exclude(install_key="").count() == 1
    screenshot(page, "rollout-process-he")

    # Who is trained: the support agent's exercises confirmed one by one.
    page.goto("/rollout/training/")
    card = page.locator(f"#user-{agent.pk}")
    expect(card).to_have_attribute("data-complete", "0")
    buttons = card.locator("[data-confirm-exercise]")
    for left in range(buttons.count() - 1, -1, -1):
        buttons.first.click()
        expect(buttons).to_have_count(left)
    expect(card).to_have_attribute("data-complete", "1")

    # Go-live, ticked by hand; the page says Kesher is live.
    page.goto("/rollout/")
    page.locator('[data-tick="go-live"]').click()
    expect(page.locator("#rollout-live")).to_be_visible()
    expect(page.locator('[data-item="installed"]')).to_have_attribute("data-done", "1")
    assert Item.objects.get(key="go-live").done_at is not None
    screenshot(page, "rollout-he")

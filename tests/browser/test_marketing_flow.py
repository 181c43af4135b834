"""Marketing in a real browser, in Hebrew and English, in the practice environment (issue 19;
REQ MK-1, MK-2, IM-6): a manager creates a campaign, a mass send of it to his segment, test-
sends it, sends it; the worker runs; every recipient ends "suppressed" — nothing left — and the
figures add up to the audience. No sideways scroll at 1280 px."""

from __future__ import annotations

import pytest
from django.core import mail
from playwright.sync_api import expect

from kesher.marketing.models import Campaign, Send
from kesher.marketing.sending import deliver_sends, tally
from kesher.marketing.tests.conftest import make_contacts
from kesher.platform.lists.savedviews import saved_view_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = {
    "he": {
        "campaign": "ניוזלטר חורף",
        "type": "דיוור אלקטרוני",
        "send": "דיוור דצמבר",
        "now": "שליחה עכשיו",
        "test": "שליחת ניסיון",
    },
    "en": {
        "campaign": "Winter newsletter",
        "type": "E-mail",
        "send": "December send",
        "now": "Send now",
        "test": "Test send",
    },
}


def _no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("language", ["he", "en"])
def test_a_campaign_and_its_send_to_a_segment_in_the_practice_environment(
    language, users, open_page, log_in, screenshot, settings
):
    settings.KESHER_PRACTICE = True
    words = TEXT[language]
    manager = users["manager"]
    manager.language = language
    manager.save(update_fields=["language"])
    make_contacts(manager, 3)
    make_contacts(manager, 1, consent_kind=None)
    view = saved_view_create(
        actor=manager,
        data={
            "entity": "contacts",
            "name": "Haifa" if language == "en" else "חיפה",
            "filter": {"field": "city", "op": "eq", "value": "חיפה"},
        },
    )
    page = open_page(language="he-IL" if language == "he" else "en-US")
    log_in(page, manager.username)

    page.goto("/r/campaigns/new/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "he" else "ltr")
    page.locator("[name=name]").fill(words["campaign"])
    page.locator("[name=campaign_type]").select_option(label=words["type"])
    page.locator("[name=budget]").fill("2500")
    page.locator("[name=segment]").select_option(str(view.pk))
    page.locator("form [type=submit]").last.click()
    page.wait_for_url("**/r/campaigns/*/")
    campaign = Campaign.objects.get(name=words["campaign"])
    expect(page.locator("#campaign-results")).to_be_visible()
    assert _no_sideways_scroll(page)
    screenshot(page, f"campaign-{language}")

    page.goto("/r/campaign-sends/new/")
    page.locator("[name=campaign]").select_option(str(campaign.pk))
    page.locator("[name=name]").fill(words["send"])
    page.locator("[name=segment]").select_option(str(view.pk))
    page.locator("[name=subject]").fill("מבצעי החורף")
    page.locator("[name=body]").fill("שלום {{ first_name }}, המבצעים שלנו כבר כאן.")
    page.locator("[name=sender_name]").fill("קשר בע״מ")
    page.locator("[name=sender_contact]").fill("03-5551234")
    page.locator("form [type=submit]").last.click()
    page.wait_for_url("**/r/campaign-sends/*/")
    send = Send.objects.get(name=words["send"])

    page.locator("#send-test").click()
    page.wait_for_url(f"**/r/campaign-sends/{send.pk}/")
    page.get_by_role("button", name=words["now"]).click()
    page.wait_for_url(f"**/r/campaign-sends/{send.pk}/")
    send.refresh_from_db()
    assert send.status == Send.Status.SENDING
    assert send.audience == 4

    deliver_sends()  # the worker's tick
    page.reload()
    figures = page.locator("#send-figures")
    expect(figures.locator("[data-status=suppressed]")).to_contain_text("3")
    expect(figures.locator("[data-status=skipped]")).to_contain_text("1")
    expect(figures.locator("[data-status=sent]")).to_contain_text("0")
    counts = tally(send)
    assert sum(counts.values()) == 4
    assert counts["suppressed"] == 3
    assert mail.outbox == []
    assert _no_sideways_scroll(page)
    screenshot(page, f"campaign-send-{language}")

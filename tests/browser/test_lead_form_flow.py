"""A visitor fills a public web form with the keyboard only (issue 19 item 4; REQ MK-5,
Israeli Standard 5568): Tab moves through the labelled fields in order and skips the hidden
honeypot, a missing required field is announced beside it and takes the focus's next Tab, the
form is sent with Enter and the lead exists, attributed to the campaign, with its UTM tags."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from kesher.marketing.models import FormSubmission
from kesher.marketing.tests.conftest import choice
from kesher.platform.records.services import record_create
from kesher.sales.models import Lead

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_visitor_fills_the_form_with_the_keyboard_only(users, open_page, settings):
    settings.KESHER_LEAD_FORM_MIN_SECONDS = 0
    admin = users["admin"]
    campaign = record_create(
        "campaigns",
        actor=admin,
        data={"name": "דף נחיתה", "campaign_type": choice("campaign_type", "paid_ads")},
    )
    form = record_create(
        "lead-forms",
        actor=admin,
        data={
            "name": "השאירו פרטים",
            "slug": "landing",
            "campaign": campaign,
            "consent_channels": "email",
            "consent_text_he": "אני מסכים/ה לקבל דיוור פרסומי",
            "thank_you_he": "תודה! נחזור אליך.",
        },
    )
    for position, (field, label, required) in enumerate(
        [("last_name", "שם", True), ("email", "דוא״ל", True)]
    ):
        record_create(
            "lead-form-fields",
            actor=admin,
            data={
                "form": form,
                "lead_field": field,
                "label_he": label,
                "required": required,
                "position": position,
            },
        )
    page = open_page()
    page.goto("/f/landing/?utm_source=google&utm_campaign=winter")
    page.keyboard.press("Tab")
    expect(page.get_by_label("שם")).to_be_focused()
    page.keyboard.type("כהן")
    page.keyboard.press("Tab")
    expect(page.get_by_label("דוא״ל")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("אני מסכים/ה לקבל דיוור פרסומי")).to_be_focused()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    expect(page.locator("#send-form")).to_be_focused()  # the honeypot is skipped
    page.keyboard.press("Enter")
    # The e-mail was left empty: the error is tied to its field, nothing was written.
    email = page.get_by_label("דוא״ל")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#f-email-error")).to_be_visible()
    assert not Lead.objects.exists()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(email).to_be_focused()
    page.keyboard.type("dana@example.co.il")
    page.keyboard.press("Enter")
    expect(page.locator("#thank-you")).to_have_text("תודה! נחזור אליך.")
    lead = Lead.objects.get(email="dana@example.co.il")
    assert (lead.last_name, lead.campaign) == ("כהן", campaign)
    submission = FormSubmission.objects.get(lead=lead)
    assert (submission.utm_source, submission.utm_campaign, submission.consented) == (
        "google",
        "winter",
        True,
    )

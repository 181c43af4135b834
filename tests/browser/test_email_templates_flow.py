"""Email templates in a real browser (issue 5 item 9): an administrator writes a Hebrew template
with merge fields, previews it live on a customer in Hebrew and English, saves it and sends a
test to himself; the worker sends it and the message log shows it. REQ AU-1, IN-1.
"""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from kesher.customers.services import account_create
from kesher.integrations.delivery import deliver_messages
from kesher.integrations.models import EmailTemplate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BODY_HE = (
    "<h2>שלום {{ name }},</h2>"
    "<p>תודה שבחרתם בנו. הלקוח רשום אצלנו בעיר <b>{{ city }}</b>,"
    " ואיש הקשר שלכם הוא {{ owner }}.</p>"
    "<ul><li>שעות פעילות: א׳–ה׳ 08:30–17:30</li><li>טלפון: 03-5551234</li></ul>"
)
BODY_EN = "<h2>Hello {{ name }},</h2><p>Your contact at Kesher is {{ owner }}.</p>"


def test_admin_writes_previews_saves_and_sends_a_template(users, open_page, log_in, screenshot):
    admin = users["admin"]
    admin.first_name, admin.last_name = "נועה", "המנהלת"
    admin.save(update_fields=["first_name", "last_name"])
    account_create(
        actor=admin,
        data={"name": 'גלבוע מערכות בע"מ', "city": "חיפה", "owner": admin},
    )
    page = open_page()
    log_in(page, admin.username)
    page.goto("/integrations/email-templates/new/")
    page.locator("#id_name").fill("ברוכים הבאים")
    page.locator("#id_entity").select_option("accounts")
    expect(page.locator("#preview-record option").nth(1)).to_contain_text("גלבוע")
    page.locator("#id_subject_he").fill("שלום {{ name }}")
    page.locator("#id_body_he").fill(BODY_HE)
    page.locator("#id_subject_en").fill("Welcome, {{ name }}")
    page.locator("#id_body_en").fill(BODY_EN)

    hebrew = page.locator("#preview-he")
    expect(hebrew).to_contain_text('שלום גלבוע מערכות בע"מ')
    expect(hebrew).to_contain_text("בעיר חיפה")
    expect(hebrew).to_contain_text("נועה המנהלת")
    expect(page.locator("#preview-en")).to_contain_text("Your contact at Kesher is נועה המנהלת")
    assert hebrew.locator("[dir=rtl]").first.evaluate("e => getComputedStyle(e).direction") == (
        "rtl"
    )
    assert page.locator("#preview-en [dir=ltr]").first.evaluate(
        "e => getComputedStyle(e).direction"
    ) == ("ltr")
    screenshot(page, "email-template-editor-he")

    # An unknown merge field is refused right in the preview, with a clear message.
    page.locator("#id_subject_he").fill("שלום {{ nickname }}")
    expect(page.locator("#preview-errors")).to_contain_text("{{ nickname }}")
    page.locator("#id_subject_he").fill("שלום {{ name }}")
    expect(page.locator("#preview-he")).to_be_visible()

    page.locator("#save-template").click()
    page.wait_for_url(re.compile(r"/integrations/email-templates/\d+/editor/$"))
    template = EmailTemplate.objects.get()
    assert template.subject_he == "שלום {{ name }}"
    expect(page.locator("#preview-he")).to_contain_text("שלום גלבוע")

    page.locator("#send-test-he").click()
    page.wait_for_url(re.compile(r"/integrations/email-templates/\d+/editor/$"))
    expect(page.locator(".alert-success, .alert-info").first).to_contain_text(admin.email)
    assert deliver_messages() == 1
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.subject == 'שלום גלבוע מערכות בע"מ'
    html = sent.alternatives[0][0]
    assert '<html lang="he" dir="rtl">' in html
    assert "<script" not in html
    assert "בעיר חיפה" in sent.body

    page.goto("/integrations/messages/")
    row = page.locator("#messages tbody tr").first
    expect(row).to_contain_text(admin.email)
    expect(row.locator(".badge")).to_contain_text("נשלח")
    screenshot(page, "sent-messages-he")


def test_admin_creates_a_webhook_and_sees_its_secret_once(users, open_page, log_in, screenshot):
    """Issue 5 item 4: the webhooks page; the secret is shown on creation only."""
    from kesher.integrations.models import WebhookSubscription

    page = open_page()
    log_in(page, users["admin"].username)
    page.goto("/integrations/webhooks/")
    page.locator("#wh-name").fill("מערכת הנהלת חשבונות")
    page.locator("#wh-url").fill("https://erp.example.co.il/kesher-events")
    page.locator("#wh-entities").select_option(["accounts", "contacts"])
    page.locator("#wh-event-deleted").uncheck()
    page.locator("#create-webhook").click()
    secret = WebhookSubscription.objects.get().secret
    expect(page.locator("#new-secret")).to_contain_text(secret)
    expect(page.locator("#webhooks")).to_contain_text("accounts, contacts")
    screenshot(page, "webhooks-he")
    page.goto("/integrations/webhooks/")
    expect(page.locator("#webhooks")).to_contain_text("מערכת הנהלת חשבונות")
    assert secret not in page.content()
    page.locator("#dead-letters").click()
    expect(page.locator("#deliveries")).to_contain_text("אין מסירות")

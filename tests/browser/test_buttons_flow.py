"""A button with a question on a record's page, in a real browser (issue 23 item 3, CX-7): a rep
presses "Close as lost" on his account's page; the question's form opens under the header; left
empty it is refused beside the question and nothing runs; answered, the rule's actions run and
the page says so, in Hebrew, right to left.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from kesher.automation.buttons import button_create
from kesher.automation.services import rule_create
from kesher.customers.models import Account
from kesher.customers.tests.factories import make_account

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_button_asks_its_question_then_runs(users, settings, open_page, log_in, screenshot):
    # The worker runs what a request queues, as soon as it commits (one process here).
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    admin, rep = users["admin"], users["sales_rep"]
    rule = rule_create(
        actor=admin,
        data={
            "name": "סגירה כלא רלוונטי",
            "entity": "accounts",
            "trigger_kind": "manual",
            "actions": [
                {"type": "add_tag", "tag": "לא רלוונטי"},
                {"type": "update_fields", "values": {"notes": "נסגר: {{answer.reason}}"}},
            ],
        },
    )
    button = button_create(
        actor=admin,
        data={
            "label_he": "סגירה כלא רלוונטי",
            "label_en": "Close as not relevant",
            "entity": "accounts",
            "rule": rule,
            "questions": [{"key": "reason", "label_he": "סיבה", "type": "text", "required": True}],
        },
    )
    account = make_account(rep, name="אלון תעשיות", owner=rep)

    page = open_page()
    log_in(page, rep.username)
    page.goto(f"/r/accounts/{account.pk}/")
    assert page.locator("html").get_attribute("dir") == "rtl"
    page.locator(f"#button-{button.pk}").click()
    form = page.locator("#button-form")
    expect(form).to_contain_text("סיבה")
    form.locator("#button-run").click()
    expect(page.locator("#button-form .invalid-feedback")).to_contain_text("זהו שדה חובה")
    assert Account.objects.get(pk=account.pk).notes == ""
    page.locator("#id_answer_reason").fill("עבר למתחרה")
    screenshot(page, "button-question-he")
    page.locator("#button-run").click()
    progress = page.locator("#button-progress")
    expect(progress).to_contain_text("הסתיים")
    expect(progress).to_contain_text("הסתיימו: 1")
    account.refresh_from_db()
    assert account.notes == "נסגר: עבר למתחרה"
    assert [tag.name for tag in account.tags.all()] == ["לא רלוונטי"]

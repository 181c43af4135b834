"""Approval rounds in a real browser, in Hebrew (REQ AU-3; issue 5 item 5): a sales rep asks for
approval of an account from its page, which locks it; the manager opens the link from the email,
signs in, sees the request under "waiting for my approval" and approves it with a comment; the
rep sees the outcome and edits the account again.
"""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from kesher.approvals.models import ApprovalRequest
from kesher.customers.models import Account
from kesher.customers.services import account_create
from tests.browser.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_rep_asks_manager_approves_record_unlocks(
    users, departments, open_page, log_in, screenshot
):
    manager, rep = users["manager"], users["sales_rep"]
    manager.first_name, manager.last_name = "מיכל", "המנהלת"
    manager.save(update_fields=["first_name", "last_name"])
    rep.first_name, rep.last_name = "רון", "המוכר"
    rep.save(update_fields=["first_name", "last_name"])
    departments["sales"].manager = manager
    departments["sales"].save(update_fields=["manager"])
    # An administrator defines the process: the team manager signs off.
    admin_page = open_page()
    log_in(admin_page, users["admin"].username)
    admin_page.goto("/r/approval-processes/new/")
    admin_page.locator("#id_name_he").fill("אישור הנחה מיוחדת")
    admin_page.locator("#id_name_en").fill("Special discount")
    admin_page.locator("#id_entity").select_option("accounts")
    admin_page.locator("#id_steps").fill('[{"approver": "boss"}]')
    admin_page.locator("#save-record").click()
    expect(admin_page.locator(".record-form")).to_contain_text("שלב 1")
    admin_page.locator("#id_steps").fill('[{"approver": "manager"}]')
    admin_page.locator("#save-record").click()
    admin_page.wait_for_url(re.compile(r"/r/approval-processes/\d+/$"))
    expect(admin_page.locator("#process-steps")).to_contain_text("המנהל של מבקש האישור")
    screenshot(admin_page, "approvals-process-he")
    account = account_create(
        actor=rep, data={"name": 'גלבוע מערכות בע"מ', "city": "חיפה", "owner": rep}
    )

    # The rep asks for approval from the account's page; the account locks.
    rep_page = open_page()
    log_in(rep_page, rep.username)
    rep_page.goto(f"/r/accounts/{account.pk}/")
    rep_page.locator("#approval-process").select_option(label="אישור הנחה מיוחדת")
    rep_page.locator("#request-approval").click()
    rep_page.wait_for_url(re.compile(rf"/r/accounts/{account.pk}/$"))
    expect(rep_page.locator("#record-locked")).to_contain_text("ממתינה לאישור")
    expect(rep_page.locator("#record-approval")).to_contain_text("מיכל המנהלת")
    expect(rep_page.locator("#edit-record")).to_have_count(0)
    assert rep_page.locator("html").get_attribute("dir") == "rtl"
    screenshot(rep_page, "approvals-record-pending-he")
    request = ApprovalRequest.objects.get()

    # The manager opens the emailed link, signs in, and lands on the decision page.
    [message] = mail.outbox
    assert message.to == [manager.email]
    link = re.search(r"/approvals/link/\S+/", message.body).group(0)
    manager_page = open_page()
    manager_page.goto(link)
    manager_page.locator("input[name=login]").fill(manager.username)
    manager_page.locator("input[name=password]").fill(PASSWORD)
    manager_page.locator("form[action*='/accounts/login/'] [type=submit]").first.click()
    manager_page.wait_for_url(re.compile(rf"/approvals/{request.pk}/$"))

    # "Waiting for my approval", from the Activities menu with its count.
    manager_page.locator("#activities-menu").click()
    expect(manager_page.locator("#approvals-count")).to_have_text("1")
    manager_page.locator("#nav-approvals").click()
    manager_page.wait_for_url(re.compile(r"/approvals/$"))
    expect(manager_page.locator("#approvals-table")).to_contain_text('גלבוע מערכות בע"מ')
    screenshot(manager_page, "approvals-waiting-he")
    manager_page.locator(f"[data-request='{request.pk}'] a").click()
    manager_page.wait_for_url(re.compile(rf"/approvals/{request.pk}/$"))
    manager_page.locator("#decision-comment").fill("מאושר, לקוח ותיק")
    screenshot(manager_page, "approvals-decide-he")
    manager_page.locator("#approve").click()
    manager_page.wait_for_url(re.compile(rf"/approvals/{request.pk}/$"))
    expect(manager_page.locator("#request-status")).to_have_attribute("data-status", "approved")
    expect(manager_page.locator(".approval-comment")).to_contain_text("מאושר, לקוח ותיק")

    # The rep sees the outcome and can edit the account again.
    rep_page.goto(f"/r/accounts/{account.pk}/")
    expect(rep_page.locator("#record-approval [data-status=approved]")).to_contain_text("אושר")
    expect(rep_page.locator("#record-locked")).to_have_count(0)
    expect(rep_page.locator("#notifications-link")).to_contain_text("1")
    expect(rep_page.locator("#timeline")).to_contain_text("מאושר, לקוח ותיק")
    screenshot(rep_page, "approvals-record-approved-he")
    rep_page.locator("#edit-record").click()
    rep_page.locator("#id_city").fill("עפולה")
    rep_page.locator("#save-record").click()
    rep_page.wait_for_url(re.compile(rf"/r/accounts/{account.pk}/$"))
    assert Account.objects.get(pk=account.pk).city == "עפולה"

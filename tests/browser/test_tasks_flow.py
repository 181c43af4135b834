"""Tasks in a real browser, in Hebrew (issue 14 "Tests that must pass"): a sales rep completes,
from her task list and in one click, a task a colleague handed her on his own account; the row
changes in place, the account's name stays hidden from her, and the colleague is notified.

REQ CU-4, TK-3, OR-3, OR-7.
"""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kesher.activities.models import Notification, Task
from kesher.activities.tests.factories import make_task
from kesher.customers.services import account_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _named(user, first: str, last: str) -> None:
    user.first_name, user.last_name = first, last
    user.save(update_fields=["first_name", "last_name"])


def test_rep_completes_a_delegated_task_in_one_click(users, open_page, log_in, screenshot):
    rep, colleague = users["sales_rep"], users["sales_rep2"]
    _named(rep, "דנה", "לוי")
    _named(colleague, "אבי", "כהן")
    his_account = account_create(actor=colleague, data={"name": "נמל חיפה בע״מ"})
    her_account = account_create(actor=rep, data={"name": "גלבוע מערכות"})
    soon = timezone.now() + datetime.timedelta(days=1)
    handed = make_task(
        colleague, his_account, title="לאשר את ההזמנה מול הלקוח", assignee=rep, due_at=soon
    )
    make_task(rep, her_account, title="לשלוח הצעת מחיר", due_at=soon + datetime.timedelta(hours=3))
    make_task(rep, her_account, title="להתקשר לחשבונות", due_at=soon + datetime.timedelta(days=1))

    page = open_page()
    log_in(page, rep.username)
    page.goto("/activities/tasks/")
    row = page.locator(f"tr[data-task-row='{handed.pk}']")
    expect(row).to_contain_text("אבי כהן")  # delegated by
    # The button's name says which task it completes; the keyboard presses it.
    button = page.get_by_role("button", name="סימון כבוצעה: לאשר את ההזמנה מול הלקוח")
    button.focus()
    page.keyboard.press("Enter")
    expect(row.locator("[role=status]")).to_have_text("בוצעה")
    expect(row.get_by_role("button")).to_have_count(0)
    assert page.url.endswith("/activities/tasks/")  # updated in place, not reloaded
    assert not Task.objects.get(pk=handed.pk).is_open
    screenshot(page, "tasks-complete-he")

    # Her own task page shows the task and no trace of his account.
    page.goto(f"/r/tasks/{handed.pk}/")
    expect(page.locator("#record-about")).to_contain_text("רשומה שאין לך הרשאה לפתוח")
    expect(page.locator("main")).not_to_contain_text("נמל חיפה")
    expect(page.locator("#task-status")).to_have_text("בוצעה")

    # The colleague who handed it over hears of it.
    other = open_page()
    log_in(other, colleague.username)
    expect(other.locator("#unread-count")).to_have_text("1")
    other.goto("/activities/notifications/")
    expect(other.locator("#notifications")).to_contain_text("משימה בוצעה: לאשר את ההזמנה מול הלקוח")
    assert Notification.objects.filter(user=colleague, verb="done", link_id=handed.pk).count() == 1
    other.goto(f"/r/tasks/{handed.pk}/")
    expect(other.locator("#record-about a")).to_have_text("נמל חיפה בע״מ")

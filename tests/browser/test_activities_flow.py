"""Activities in a real browser, in Hebrew (issue 4 "Tests that must pass"): a manager logs a
call from an account's page, creates a task with a reminder and a sub-task, delegates them to
the account's sales rep; the rep completes the sub-task, which closes the parent; the manager
sees the "done" notifications and the account's updated 360° view. Then the calendar, the task
report, the team feed and "not contacted" as the manager sees them.

REQ CU-3, CU-7 … CU-10, TK-1 … TK-3, TK-7, SA-13, OR-6, OR-7.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kesher.activities.models import Interaction, Notification, Task
from kesher.activities.services import alert_rule_create
from kesher.customers.models import Account
from kesher.customers.services import account_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _local(days: int, hour: int) -> str:
    day = timezone.localdate() + datetime.timedelta(days=days)
    return f"{day.isoformat()}T{hour:02d}:00"


def test_call_task_subtask_delegation_and_360(users, open_page, log_in, screenshot):
    manager, rep = users["manager"], users["sales_rep"]
    manager.first_name, manager.last_name = "מיכל", "המנהלת"
    manager.save(update_fields=["first_name", "last_name"])
    rep.first_name, rep.last_name = "רון", "המוכר"
    rep.save(update_fields=["first_name", "last_name"])
    account = account_create(
        actor=manager, data={"name": 'גלבוע מערכות בע"מ', "city": "חיפה", "owner": rep}
    )
    alert_rule_create(
        actor=users["admin"],
        data={
            "name": "ללא קשר",
            "condition": {"field": "last_contact_at", "op": "empty"},
            "message": "לא היה קשר עם הלקוח מעולם",
        },
    )
    alert_rule_create(
        actor=users["admin"],
        data={
            "name": "חיפה",
            "condition": {"field": "city", "op": "eq", "value": "חיפה"},
            "message": "לקוח באזור חיפה: פגישות רק בתיאום מראש",
            "level": "info",
        },
    )
    page = open_page()
    log_in(page, manager.username)
    page.goto(f"/r/accounts/{account.pk}/")
    expect(page.locator("#record-alerts")).to_contain_text("לא היה קשר עם הלקוח מעולם")
    expect(page.locator("[data-figure=open_tasks]")).to_contain_text("0")

    # Log a call in two clicks (the kind is already "call").
    page.locator("#log-interaction").click()
    page.locator("#quick-interactions #id_subject").fill("שיחת היכרות עם המנכ״ל")
    page.locator("#quick-save").click()
    page.wait_for_url(re.compile(rf"/r/accounts/{account.pk}/$"))
    expect(page.locator("#recent-interactions")).to_contain_text("שיחת היכרות עם המנכ״ל")
    expect(page.locator("#record-alerts")).not_to_contain_text("לא היה קשר")
    expect(page.locator("#record-alerts")).to_contain_text("פגישות רק בתיאום מראש")

    # A task with a reminder, from the same page.
    page.locator("#new-task").click()
    form = page.locator("#quick-tasks")
    form.locator("#id_title").fill("להכין הצעת מחיר")
    form.locator("#id_due_at").fill(_local(2, 12))
    form.locator("#id_reminder_at").fill(_local(2, 9))
    page.locator("#quick-save").click()
    page.wait_for_url(re.compile(rf"/r/accounts/{account.pk}/$"))
    expect(page.locator("#open-tasks")).to_contain_text("להכין הצעת מחיר")
    parent = Task.objects.get(title="להכין הצעת מחיר")
    assert parent.reminder_at is not None
    screenshot(page, "activities-account-he")

    # A sub-task, handed to the rep as it is made.
    page.goto("/r/tasks/new/")
    page.locator("#id_title").fill("לבדוק מלאי מול הספק")
    # The list's default status is already chosen (the form offers the pick-list's default),
    # and the assignee starts as whoever fills the form.
    expect(page.locator("#id_status option:checked")).to_have_text("פתוחה")
    expect(page.locator("#id_assignee option:checked")).to_have_text("מיכל המנהלת")
    # The parent task and the record are picked by searching, never by their ids.
    page.locator("#id_parent-search").fill("הצעת")
    page.locator(f"[data-target=id_parent][data-pick='{parent.pk}']").click()
    page.locator("#id_assignee").select_option(str(rep.pk))
    page.locator("#id_link_id-search").fill("גלבוע")
    page.locator(f"[data-kind=accounts][data-pick='{account.pk}']").click()
    expect(page.locator("#id_link_id-search")).to_have_value('גלבוע מערכות בע"מ')
    page.locator("#save-record").click()
    page.wait_for_url(re.compile(r"/r/tasks/\d+/$"))
    subtask = Task.objects.get(title="לבדוק מלאי מול הספק")
    assert subtask.parent_id == parent.pk
    assert subtask.delegated_by_id == manager.pk
    assert (subtask.link_type, subtask.link_id) == ("accounts", account.pk)
    expect(page.locator("#record-about a")).to_have_text('גלבוע מערכות בע"מ')
    expect(page.locator("#parent-task")).to_have_text("להכין הצעת מחיר")

    # Delegate the parent to the rep; it closes when its sub-tasks are done.
    page.goto(f"/r/tasks/{parent.pk}/edit/")
    page.locator("#id_assignee").select_option(str(rep.pk))
    page.locator("#id_close_with_subtasks").check()
    page.locator("#save-record").click()
    page.wait_for_url(re.compile(rf"/r/tasks/{parent.pk}/$"))
    parent.refresh_from_db()
    assert (parent.assignee_id, parent.delegated_by_id) == (rep.pk, manager.pk)

    # The rep sees both under "my tasks" and completes the sub-task.
    rep_page = open_page()
    log_in(rep_page, rep.username)
    rep_page.goto("/activities/tasks/")
    expect(rep_page.locator("#task-table")).to_contain_text("לבדוק מלאי מול הספק")
    expect(rep_page.locator("#task-table")).to_contain_text("להכין הצעת מחיר")
    rep_page.goto(f"/r/tasks/{parent.pk}/")
    expect(rep_page.locator("#subtask-list")).to_contain_text("לבדוק מלאי מול הספק")
    rep_page.goto(f"/r/tasks/{subtask.pk}/")
    rep_page.locator("#complete-task").click()
    expect(rep_page.locator("#task-status")).to_have_text("בוצעה")
    parent.refresh_from_db()
    assert not parent.is_open  # closed with its last sub-task

    # The delegator's notifications.
    page.goto("/")
    expect(page.locator("#unread-count")).to_have_text("2")
    page.goto("/activities/notifications/")
    notes = page.locator("#notifications")
    expect(notes).to_contain_text("משימה בוצעה: לבדוק מלאי מול הספק")
    expect(notes).to_contain_text("משימה בוצעה: להכין הצעת מחיר")
    screenshot(page, "activities-notifications-he")
    assert Notification.objects.filter(user=manager, verb="done").count() == 2

    # The account's 360° view: no open task, the call as last contact, history by kind.
    page.goto(f"/r/accounts/{account.pk}/")
    expect(page.locator("[data-figure=open_tasks]")).to_contain_text("0")
    expect(page.locator("[data-figure=open_tickets]")).to_contain_text("0 פתוחות מתוך 0")
    call = Interaction.objects.get()
    local_call = timezone.localtime(call.occurred_at).strftime("%d/%m/%Y")
    expect(page.locator("[data-figure=last_contact]")).to_contain_text(local_call)
    # One timeline, filtered by kind (issue 14: the 360° history was the same events again).
    expect(page.locator("#timeline")).to_have_count(1)
    expect(page.locator("#timeline")).to_contain_text("לבדוק מלאי מול הספק")
    page.locator("#timeline-kind").select_option("call")
    expect(page.locator("#timeline[data-kind=call]")).to_contain_text("שיחת היכרות עם המנכ״ל")
    expect(page.locator("#timeline")).not_to_contain_text("לבדוק מלאי")
    screenshot(page, "activities-360-he")
    assert Account.objects.get().last_contact_at == call.occurred_at


def test_calendar_reports_team_and_not_contacted(users, open_page, log_in, screenshot):
    """The manager's other pages: the rep's week with a booked meeting (SA-13), the feed link,
    the task report's chart, the team feed, and one click of "not contacted"."""
    from kesher.activities.tests.factories import choice, make_interaction, make_task

    manager, rep = users["manager"], users["sales_rep"]
    rep.first_name, rep.last_name = "רון", "המוכר"
    rep.save(update_fields=["first_name", "last_name"])
    account = account_create(actor=manager, data={"name": "אורן תעשיות", "owner": rep})
    old = account_create(actor=manager, data={"name": "ותיקים בע״מ", "owner": rep})
    Account.objects.filter(pk=old.pk).update(
        last_contact_at=timezone.now() - datetime.timedelta(days=200)
    )
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    at = timezone.make_aware(datetime.datetime.combine(tomorrow, datetime.time(10, 30)))
    make_interaction(
        manager,
        account,
        kind=choice("interaction_kind", "meeting"),
        subject="פגישת הדגמה אצל הלקוח",
        occurred_at=at,
        duration_minutes=60,
        owner=rep,
    )
    make_task(manager, account, title="לשלוח סיכום פגישה", assignee=rep, due_at=at.replace(hour=15))
    make_interaction(
        rep,
        account,
        kind=choice("interaction_kind", "meeting"),
        subject="פגישה עכשיו",
        occurred_at=timezone.now() - datetime.timedelta(minutes=15),
        duration_minutes=60,
    )
    make_task(rep, account, title="בעבודה עכשיו", status=choice("task_status", "in_progress"))
    page = open_page()
    log_in(page, manager.username)

    page.goto(f"/activities/calendar/?view=week&user={rep.pk}&date={tomorrow.isoformat()}")
    day = page.locator(f"td[data-date='{tomorrow.isoformat()}']")
    expect(day).to_contain_text("פגישת הדגמה אצל הלקוח")
    expect(day).to_contain_text("לשלוח סיכום פגישה")
    page.goto("/activities/calendar/?view=month")
    page.locator("#feed-regenerate").click()
    expect(page.locator("#feed-url")).to_have_value(re.compile(r"/activities/ical/.+\.ics$"))
    screenshot(page, "activities-calendar-feed-he")

    page.goto("/activities/team/")
    expect(page.locator("#team-members")).to_contain_text("פגישה עכשיו")
    expect(page.locator("#team-members")).to_contain_text("בעבודה עכשיו")
    expect(page.locator("#team-recent")).not_to_contain_text("פגישת הדגמה")  # still ahead
    screenshot(page, "activities-team-he")

    page.goto("/activities/reports/tasks/?group=user")
    expect(page.locator("#report-chart svg")).to_have_count(1)
    expect(page.locator("#report-table")).to_contain_text("רון המוכר")
    screenshot(page, "activities-reports-he")

    page.goto("/activities/not-contacted/?days=90")
    expect(page.locator("#not-contacted")).to_contain_text("ותיקים בע״מ")
    screenshot(page, "activities-not-contacted-he")
    page.locator("#create-callbacks").click()
    expect(page.locator("#callback-result")).to_be_visible()
    screenshot(page, "activities-callbacks-he")
    assert (
        Task.objects.filter(link_id=old.pk, task_type__value="call_back", assignee=rep).count() == 1
    )

"""Automation in a real browser, in Hebrew (issue 5 "Tests that must pass"): an administrator
makes a task template and builds "when a customer's status becomes VIP, create a call task for
the owner and email the owner's manager" in the rule builder; the customer's sales rep changes
the status; the task appears on the rep's tasks page and the email lands in a local SMTP server.
Then the rule's run log and its dry run.

REQ AU-1, TK-5, SA-5, OR-7.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from kesher.activities.models import Task
from kesher.automation.models import Rule, RuleRun
from kesher.customers.services import account_create
from kesher.integrations.delivery import deliver_messages
from kesher.integrations.services import email_template_create
from kesher.integrations.tests.servers import smtp_mailbox
from kesher.platform.models import Choice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_vip_rule_built_in_the_builder_creates_a_task_and_an_email(
    users, departments, open_page, log_in, screenshot, settings
):
    # The worker runs what a request queues, as soon as it commits (one process here).
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    admin, manager, rep = users["admin"], users["manager"], users["sales_rep"]
    rep.first_name, rep.last_name = "רון", "המוכר"
    rep.save(update_fields=["first_name", "last_name"])
    north = departments["north"]
    north.manager = manager  # the rep's manager: his department's
    north.save(update_fields=["manager"])
    account = account_create(
        actor=rep,
        data={
            "name": "גלבוע מערכות",
            "city": "חיפה",
            "owner": rep,
            "status": Choice.objects.get(list_key="account_status", value="active"),
        },
    )
    email_template_create(
        actor=admin,
        data={
            "name": "לקוח VIP",
            "entity": "accounts",
            "subject_he": "לקוח חדש ב-VIP: {{ name }}",
            "body_he": "<p>הלקוח {{ name }} הפך ללקוח VIP.</p>",
        },
    )

    page = open_page()
    log_in(page, admin.username)

    # A task template through its generic page.
    page.goto("/r/task-templates/new/")
    page.locator("#id_name").fill("שיחת VIP")
    page.locator("#id_task_type").select_option(label="חזרה ללקוח")
    page.locator("#id_title").fill("להתקשר אל {{name}}")
    page.locator("#id_due_offset").fill("4")
    page.locator("#id_assignee_rule").select_option("owner")
    page.locator("form [type=submit]").last.click()
    page.wait_for_url(re.compile(r"/r/task-templates/\d+/$"))

    # The rule, in the builder.
    page.goto("/automation/")
    page.locator("#new-entity").select_option("accounts")
    page.locator("#new-rule").click()
    page.wait_for_url(re.compile(r"/automation/rules/new/\?entity=accounts$"))
    page.locator("#rule-name").fill("לקוח הפך ל-VIP")
    page.locator("#rule-description").fill("משימת שיחה לבעלים ודוא״ל למנהל שלו")
    page.locator("#trigger-kind").select_option("status_entered")
    page.locator("#trigger-fields select").select_option("vip")
    page.locator("#builder-add").click()
    row = page.locator("#builder-rows .builder-row").first
    row.locator("[data-role=field]").select_option("city")
    row.locator("[data-role=op]").select_option("eq")
    row.locator("[data-role=value]").fill("חיפה")
    page.locator("#action-type").select_option("create_task")
    page.locator("#action-add").click()
    page.locator("#action-type").select_option("send_email")
    page.locator("#action-add").click()
    actions = page.locator("#action-rows .action-row")
    expect(actions).to_have_count(2)
    actions.nth(0).locator("[data-setting=template]").select_option(label="שיחת VIP")
    actions.nth(1).locator("[data-setting=template]").select_option(label="לקוח VIP")
    actions.nth(1).locator("[data-setting=to_manager]").check()
    # Reorder: the email first, then back.
    actions.nth(1).get_by_role("button", name="הזזה למעלה").click()
    expect(actions.nth(0)).to_have_attribute("data-type", "send_email")
    actions.nth(1).get_by_role("button", name="הזזה למעלה").click()
    expect(actions.nth(0)).to_have_attribute("data-type", "create_task")
    screenshot(page, "automation-builder-he")
    page.locator("#save-rule").click()
    page.wait_for_url(re.compile(r"/automation/rules/\d+/$"))
    rule = Rule.objects.get()
    assert rule.trigger_kind == "status_entered"
    assert rule.trigger_config == {"value": "vip"}
    assert rule.condition == {"all": [{"field": "city", "op": "eq", "value": "חיפה"}]}
    assert [a["type"] for a in rule.actions] == ["create_task", "send_email"]

    # The rep makes the customer VIP on its edit page.
    rep_page = open_page()
    log_in(rep_page, rep.username)
    rep_page.goto(f"/r/accounts/{account.pk}/edit/")
    rep_page.locator("#id_status").select_option(label="VIP")
    rep_page.locator("form [type=submit]").last.click()
    rep_page.wait_for_url(re.compile(rf"/r/accounts/{account.pk}/$"))
    task = Task.objects.get(link_type="accounts", link_id=account.pk)
    assert (task.title, task.assignee) == ("להתקשר אל גלבוע מערכות", rep)
    rep_page.goto("/activities/tasks/")
    expect(rep_page.locator("body")).to_contain_text("להתקשר אל גלבוע מערכות")

    # The email reaches the rep's manager through the outgoing-mail worker.
    with smtp_mailbox() as (server, mailbox):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = server.hostname, server.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        assert deliver_messages() == 1
    ((recipients, message),) = mailbox
    assert recipients == [manager.email]
    assert "גלבוע מערכות" in message["Subject"]

    # The run log and a dry run, as the admin sees them.
    run = RuleRun.objects.get()
    assert run.status == "done"
    page.goto(f"/automation/rules/{rule.pk}/")
    expect(page.locator(f"#run-log [data-run='{run.pk}']")).to_have_attribute("data-status", "done")
    page.locator("#dry-run-record-search").press_sequentially("גלבוע")
    page.locator(f"#dry-run-form [data-pick='{account.pk}']").click()
    expect(page.locator("#dry-run-record")).to_have_value(str(account.pk))
    page.locator("#dry-run").click()
    expect(page.locator("#dry-run-record-search")).to_have_value("גלבוע מערכות")
    expect(page.locator("#dry-run-result")).to_contain_text("הכלל מתאים")
    screenshot(page, "automation-run-log-he")
    assert Task.objects.count() == 1  # the dry run wrote nothing
    assert page.locator("html").get_attribute("dir") == "rtl"


def test_fields_and_values_are_chosen_not_typed_as_json(users, open_page, log_in, screenshot):
    """ "Update fields" and "create a record" offer the fields of their kind of record, a row
    each, and the rule keeps what was chosen (issue 5: rules without code)."""
    admin = users["admin"]
    page = open_page()
    log_in(page, admin.username)
    page.goto("/automation/rules/new/?entity=accounts")
    page.locator("#rule-name").fill("הערה ללקוח חדש")
    page.locator("#trigger-kind").select_option("created")
    page.locator("#action-type").select_option("update_fields")
    page.locator("#action-add").click()
    page.locator("#action-type").select_option("create_record")
    page.locator("#action-add").click()
    actions = page.locator("#action-rows .action-row")
    update, create = actions.nth(0), actions.nth(1)
    first = update.locator(".value-row").first
    first.locator("[data-role=field]").select_option("notes")
    first.locator("[data-role=value]").fill("נוצר {{ name }}")
    update.get_by_role("button", name="הוספת שדה").click()
    second = update.locator(".value-row").nth(1)
    second.locator("[data-role=field]").select_option("city")
    second.locator("[data-role=value]").fill("חיפה")
    # A pick-list field offers its values, by their labels.
    update.get_by_role("button", name="הוספת שדה").click()
    third = update.locator(".value-row").nth(2)
    third.locator("[data-role=field]").select_option("status")
    third.locator("[data-role=value]").select_option(label="VIP")
    # The record to create is a task: its own fields are offered.
    create.locator("[data-setting=entity]").select_option("tasks")
    row = create.locator(".value-row").first
    expect(row.locator("[data-role=field] option[value=title]")).to_have_count(1)
    row.locator("[data-role=field]").select_option("title")
    row.locator("[data-role=value]").fill("לברך את {{ name }}")
    screenshot(page, "automation-field-values-he")
    page.locator("#save-rule").click()
    page.wait_for_url(re.compile(r"/automation/rules/\d+/$"))
    rule = Rule.objects.get()
    assert rule.actions[0] == {
        "type": "update_fields",
        "values": {"notes": "נוצר {{ name }}", "city": "חיפה", "status": "vip"},
    }
    assert rule.actions[1]["entity"] == "tasks"
    assert rule.actions[1]["values"] == {"title": "לברך את {{ name }}"}
    # Opened again, the rows show what was saved.
    page.goto(f"/automation/rules/{rule.pk}/edit/")
    rows = page.locator("#action-rows .action-row").nth(0).locator(".value-row")
    expect(rows).to_have_count(3)
    shown = rows.locator("[data-role=value]").evaluate_all("inputs => inputs.map((i) => i.value)")
    assert sorted(shown) == sorted(["נוצר {{ name }}", "חיפה", "vip"])  # in PostgreSQL's order


def test_a_time_rule_counts_business_time_in_a_companys_calendar(
    users, open_page, log_in, screenshot
):
    """The builder offers the companies' business calendars for a time trigger in business
    time (REQ AU-1, TK-4), and the rule keeps the one chosen."""
    from kesher.activities.models import BusinessCalendar
    from kesher.org.models import Company

    fridays = Company.objects.create(name="עובדים בשישי", company_number="515555555")
    BusinessCalendar.objects.create(company=fridays, friday=True)
    page = open_page()
    log_in(page, users["admin"].username)
    page.goto("/automation/rules/new/?entity=accounts")
    page.locator("#rule-name").fill("ארבע שעות עבודה אחרי שיחה")
    page.locator("#trigger-kind").select_option("time")
    settings = page.locator("#trigger-fields")
    settings.locator("[data-setting=field]").select_option("last_contact_at")
    settings.locator("[data-setting=offset]").fill("4")
    settings.locator("[data-setting=unit]").select_option("hours")
    settings.locator("[data-setting=business]").check()
    settings.locator("[data-setting=calendar]").select_option(label="עובדים בשישי")
    page.locator("#action-type").select_option("add_tag")
    page.locator("#action-add").click()
    page.locator("#action-rows [data-setting=tag]").fill("מעקב")
    screenshot(page, "automation-business-calendar-he")
    page.locator("#save-rule").click()
    page.wait_for_url(re.compile(r"/automation/rules/\d+/$"))
    rule = Rule.objects.get()
    assert rule.trigger_config == {
        "field": "last_contact_at",
        "offset": 4,
        "unit": "hours",
        "direction": "after",
        "business": True,
        "calendar": fridays.pk,
    }

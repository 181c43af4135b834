"""Each trigger and each action end to end through the worker; no loop; the depth limit
(REQ AU-1, TK-5, TK-6, SA-5; issue 5 items 2 … 5, 7)."""

import datetime
import zoneinfo
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from kesher.activities.models import Interaction, Task
from kesher.activities.services import task_update
from kesher.automation import engine
from kesher.automation.models import Rule, RuleActionResult, RuleRun
from kesher.automation.schedule import scan_scheduled
from kesher.automation.services import rule_create, rule_dry_run, rule_webhook_regenerate
from kesher.customers.services import account_update
from kesher.customers.tests.factories import make_account
from kesher.platform import stamps
from kesher.platform.models import Choice

pytestmark = pytest.mark.django_db


def status(value):
    return Choice.objects.get(list_key="account_status", value=value)


def make_rule(admin, **data):
    data.setdefault("name", "rule")
    data.setdefault("entity", "accounts")
    return rule_create(actor=admin, data=data)


def create_task(template):
    return [{"type": "create_task", "template": template.pk}]


def test_status_becomes_vip_creates_a_call_task_for_the_owner(users, worker, call_template):
    """REQ TK-5, SA-5: the status entered → a task from the template, for the record's owner."""
    rep = users["sales_rep"]
    rule = make_rule(
        users["admin"],
        trigger_kind="status_entered",
        trigger_config={"value": "vip"},
        actions=create_task(call_template),
    )
    with worker():
        account = make_account(rep, name="אלון תעשיות", owner=rep, status=status("active"))
    assert not RuleRun.objects.exists()
    with worker():
        account_update(account, actor=rep, data={"status": status("vip")})
    run = RuleRun.objects.get()
    assert (run.rule, run.record_id, run.status) == (rule, account.pk, "done")
    task = Task.objects.get(link_type="accounts", link_id=account.pk)
    assert task.title == "Call אלון תעשיות"
    assert task.assignee == rep
    assert task.task_type.value == "call_back"
    assert task.due_at > timezone.now()
    result = run.results.get()
    assert (result.outcome, result.detail["task"]) == ("done", task.pk)


def test_created_and_updated_triggers_with_a_condition(users, worker, call_template):
    admin = users["admin"]
    make_rule(
        admin,
        name="in Haifa",
        trigger_kind="created",
        condition={"field": "city", "op": "eq", "value": "חיפה"},
        actions=[{"type": "add_tag", "tag": "north"}],
    )
    make_rule(
        admin,
        name="any change",
        trigger_kind="updated",
        actions=[{"type": "add_tag", "tag": "seen"}],
    )
    with worker():
        haifa = make_account(admin, name="A", city="חיפה")
        eilat = make_account(admin, name="B", city="אילת")
    # The tag "in Haifa" adds is a change, which "any change" answers (a chain of depth 1).
    assert sorted(t.name for t in haifa.tags.all()) == ["north", "seen"]
    assert not eilat.tags.exists()
    with worker():
        account_update(eilat, actor=admin, data={"city": "באר שבע"})
    assert [t.name for t in eilat.tags.all()] == ["seen"]


def test_field_changed_from_to_and_change_conditions(users, worker):
    admin = users["admin"]
    make_rule(
        admin,
        trigger_kind="field_changed",
        trigger_config={"field": "status", "from": "active", "to": "inactive"},
        actions=[{"type": "update_fields", "values": {"notes": "הוקפא: {{name}}"}}],
    )
    make_rule(
        admin,
        name="city moved",
        trigger_kind="updated",
        change_conditions=[{"field": "city", "to": "ירושלים"}],
        actions=[{"type": "add_tag", "tag": "jerusalem"}],
    )
    with worker():
        account = make_account(admin, name="Frozen Ltd", status=status("prospect"))
        account_update(account, actor=admin, data={"status": status("inactive")})
    account.refresh_from_db()
    assert account.notes == ""  # from "prospect", not "active"
    with worker():
        account_update(account, actor=admin, data={"status": status("active")})
        account_update(account, actor=admin, data={"status": status("inactive"), "city": "תל אביב"})
    account.refresh_from_db()
    assert account.notes == "הוקפא: Frozen Ltd"
    assert not account.tags.exists()
    with worker():
        account_update(account, actor=admin, data={"city": "ירושלים"})
    assert [t.name for t in account.tags.all()] == ["jerusalem"]


def test_status_left(users, worker):
    admin = users["admin"]
    make_rule(
        admin,
        trigger_kind="status_left",
        trigger_config={"value": "vip"},
        actions=[{"type": "assign_owner", "user": users["manager"].pk}],
    )
    with worker():
        account = make_account(admin, name="C", status=status("vip"), owner=users["sales_rep"])
        account_update(account, actor=admin, data={"status": status("active")})
    account.refresh_from_db()
    assert account.owner == users["manager"]


def test_task_completed_fires_for_the_record_it_is_about(users, worker):
    """REQ TK-6: a task done → an action on the customer it was about."""
    admin = users["admin"]
    make_rule(
        admin,
        trigger_kind="task_completed",
        actions=[
            {
                "type": "create_record",
                "entity": "interactions",
                "values": {"kind": "note", "subject": "הפגישה נקבעה עם {{name}}"},
                "link": True,
            }
        ],
    )
    account = make_account(admin, name="D")
    task = Task.objects.create(
        title="t",
        status=Choice.objects.get(list_key="task_status", value="open"),
        link_type="accounts",
        link_id=account.pk,
        assignee=admin,
    )
    with worker():
        task_update(
            task,
            actor=admin,
            data={"status": Choice.objects.get(list_key="task_status", value="cancelled")},
        )
    assert not Interaction.objects.exists()  # cancelled is not done
    task = Task.objects.create(
        title="t2",
        status=Choice.objects.get(list_key="task_status", value="open"),
        link_type="accounts",
        link_id=account.pk,
        assignee=admin,
    )
    with worker():
        task_update(
            task,
            actor=admin,
            data={"status": Choice.objects.get(list_key="task_status", value="done")},
        )
    note = Interaction.objects.get()
    assert (note.subject, note.link_type, note.link_id) == (
        "הפגישה נקבעה עם D",
        "accounts",
        account.pk,
    )


def test_a_rule_does_not_refire_on_its_own_change(users, worker):
    """No loop: a rule that updates the field it triggers on runs once."""
    make_rule(
        users["admin"],
        trigger_kind="updated",
        actions=[{"type": "update_fields", "values": {"notes": "touched {{notes}}"}}],
    )
    with worker():
        account = make_account(users["admin"], name="E")
        account_update(account, actor=users["admin"], data={"city": "עכו"})
    assert RuleRun.objects.count() == 1
    account.refresh_from_db()
    assert account.notes == "touched"


def test_a_chain_stops_at_the_depth_limit(users, worker, settings):
    """Two rules that start each other stop at the limit with the reason on the run."""
    settings.KESHER_AUTOMATION_MAX_DEPTH = 3
    admin = users["admin"]
    make_rule(
        admin,
        name="ping",
        trigger_kind="field_changed",
        trigger_config={"field": "city"},
        actions=[{"type": "update_fields", "values": {"notes": "{{city}}!"}}],
    )
    make_rule(
        admin,
        name="pong",
        trigger_kind="field_changed",
        trigger_config={"field": "notes"},
        actions=[{"type": "update_fields", "values": {"city": "{{notes}}"}}],
    )
    with worker():
        account = make_account(admin, name="F")
        account_update(account, actor=admin, data={"city": "x"})
    runs = list(RuleRun.objects.order_by("depth"))
    assert [r.depth for r in runs] == [0, 1, 2, 3, 4]
    assert [r.status for r in runs] == ["done", "done", "done", "done", "stopped"]
    assert runs[-1].error.endswith("(3).")  # "…reached the depth limit (3)."


def test_time_trigger_fires_once_per_record(users, call_template):
    """A time after a date field, found by the tick's moving window, once per record."""
    admin = users["admin"]
    account = make_account(admin, name="G", owner=admin)
    rule = make_rule(
        admin,
        trigger_kind="time",
        trigger_config={
            "field": "last_contact_at",
            "offset": 2,
            "unit": "hours",
            "direction": "after",
        },
        actions=create_task(call_template),
    )
    now = timezone.now()
    Rule.objects.filter(pk=rule.pk).update(scanned_until=now - datetime.timedelta(minutes=10))
    from kesher.customers.models import Account

    Account.objects.filter(pk=account.pk).update(
        last_contact_at=now - datetime.timedelta(hours=2, minutes=5)
    )
    assert scan_scheduled(now) == 1
    assert scan_scheduled(now + datetime.timedelta(minutes=1)) == 0
    Rule.objects.filter(pk=rule.pk).update(scanned_until=now - datetime.timedelta(minutes=10))
    assert scan_scheduled(now) == 1  # the same window again: its dedupe key keeps it single
    assert RuleRun.objects.filter(rule=rule).count() == 1
    from kesher.automation.worker import process_due

    assert process_due() == 1
    assert Task.objects.filter(link_id=account.pk).count() == 1


def test_business_time_before_a_date(users, call_template):
    admin = users["admin"]
    account = make_account(admin, name="H", owner=admin)
    rule = make_rule(
        admin,
        trigger_kind="time",
        trigger_config={
            "field": "club_joined_on",
            "offset": 1,
            "unit": "days",
            "direction": "before",
            "business": True,
        },
        actions=create_task(call_template),
    )
    from kesher.customers.models import Account

    # Sunday 2026-03-08 10:00 local: one working day before Monday 9 March is Sunday's hours.
    now = datetime.datetime(2026, 3, 8, 10, 0, tzinfo=datetime.UTC)
    Account.objects.filter(pk=account.pk).update(
        club_member=True, club_joined_on=datetime.date(2026, 3, 9)
    )
    Rule.objects.filter(pk=rule.pk).update(scanned_until=now - datetime.timedelta(days=3))
    assert scan_scheduled(now) == 1


def test_business_time_counts_in_the_chosen_companys_calendar(users, call_template):
    """Four working hours after a Thursday 16:30 contact: Friday 11:30 for a company that works
    Friday mornings, Sunday 11:30 on the default calendar (REQ AU-1, TK-4)."""
    from kesher.activities.models import BusinessCalendar
    from kesher.customers.models import Account
    from kesher.org.models import Company

    admin = users["admin"]
    fridays = Company.objects.create(name="עובדים בשישי", company_number="515555555")
    BusinessCalendar.objects.create(company=fridays, friday=True)
    config = {"field": "last_contact_at", "offset": 4, "unit": "hours", "business": True}
    on_default = make_rule(
        admin,
        name="default",
        trigger_kind="time",
        trigger_config=config,
        actions=create_task(call_template),
    )
    on_fridays = make_rule(
        admin,
        name="fridays",
        trigger_kind="time",
        trigger_config={**config, "calendar": fridays.pk},
        actions=create_task(call_template),
    )
    assert on_fridays.trigger_config["calendar"] == fridays.pk
    account = make_account(admin, name="J", owner=admin)
    israel = zoneinfo.ZoneInfo("Asia/Jerusalem")
    Account.objects.filter(pk=account.pk).update(
        last_contact_at=datetime.datetime(2026, 3, 5, 16, 30, tzinfo=israel)
    )
    friday = datetime.datetime(2026, 3, 6, 11, 35, tzinfo=israel)
    Rule.objects.update(scanned_until=friday - datetime.timedelta(minutes=10))
    assert scan_scheduled(friday) == 1
    assert RuleRun.objects.get().rule == on_fridays
    sunday = datetime.datetime(2026, 3, 8, 11, 35, tzinfo=israel)
    Rule.objects.filter(pk=on_default.pk).update(
        scanned_until=sunday - datetime.timedelta(minutes=10)
    )
    assert scan_scheduled(sunday) == 1
    assert RuleRun.objects.filter(rule=on_default).count() == 1


@pytest.mark.parametrize(
    ("calendar", "business"), [(999999, True), ("north", True), (True, True), (None, False)]
)
def test_a_calendar_must_be_a_company_and_count_business_time(users, calendar, business):
    from kesher.org.models import Company

    company = Company.objects.create(name="חברה", company_number="515555563")
    config = {"field": "last_contact_at", "offset": 1, "unit": "days", "business": business}
    config["calendar"] = company.pk if calendar is None else calendar
    with pytest.raises(ValidationError) as refused:
        make_rule(
            users["admin"],
            trigger_kind="time",
            trigger_config=config,
            actions=[{"type": "add_tag", "tag": "לוח"}],
        )
    assert "trigger_config.calendar" in refused.value.message_dict
    assert not Rule.objects.exists()


def test_idle_trigger(users):
    admin = users["admin"]
    account = make_account(admin, name="I")
    rule = make_rule(
        admin,
        trigger_kind="idle",
        trigger_config={"days": 30},
        actions=[{"type": "add_tag", "tag": "idle"}],
    )
    from kesher.customers.models import Account

    now = timezone.now()
    Account.objects.filter(pk=account.pk).update(
        updated_at=now - datetime.timedelta(days=30, minutes=1)
    )
    Rule.objects.filter(pk=rule.pk).update(scanned_until=now - datetime.timedelta(minutes=5))
    assert scan_scheduled(now) == 1
    from kesher.automation.worker import process_due

    process_due()
    assert [t.name for t in account.tags.all()] == ["idle"]


def test_incoming_webhook(users, api_for, call_template):
    admin = users["admin"]
    account = make_account(admin, name="J", owner=admin)
    rule = make_rule(admin, trigger_kind="webhook", actions=create_task(call_template))
    token = rule_webhook_regenerate(rule, actor=admin)
    rule.refresh_from_db()
    assert token not in rule.webhook_token_hash
    anonymous = api_for(None)
    assert (
        anonymous.post(
            "/api/v1/automation-hooks/wrong/", {"record_id": account.pk}, format="json"
        ).status_code
        == 404
    )
    bad = anonymous.post(f"/api/v1/automation-hooks/{token}/", {"record_id": "x"}, format="json")
    assert bad.status_code == 400
    ok = anonymous.post(
        f"/api/v1/automation-hooks/{token}/", {"record_id": account.pk}, format="json"
    )
    assert ok.status_code == 202
    assert RuleRun.objects.get().record_id == account.pk


@pytest.fixture
def outside():
    fake = mock.Mock()
    with mock.patch("kesher.automation.actions.integrations", return_value=fake):
        yield fake


@pytest.fixture
def email_template(users):
    from kesher.integrations.services import email_template_create

    return email_template_create(
        actor=users["admin"],
        data={
            "name": "VIP",
            "entity": "accounts",
            "subject_he": "לקוח VIP: {{ name }}",
            "body_he": "<p>הלקוח {{ name }} הפך ל-VIP.</p>",
        },
    )


def test_email_goes_only_to_people_who_see_the_record(users, worker, outside, email_template):
    """Emails never leak a record to an internal recipient outside its scope."""
    admin = users["admin"]
    make_rule(
        admin,
        trigger_kind="created",
        actions=[
            {
                "type": "send_email",
                "template": email_template.pk,
                "to_owner": True,
                "to_user": users["sales_rep2"].pk,
                "to_field": "email",
            }
        ],
    )
    with worker():
        account = make_account(
            users["sales_rep"], name="K", owner=users["sales_rep"], email="k@example.com"
        )
    run = RuleRun.objects.get()
    call = outside.send_email.call_args.kwargs
    assert call["to"] == sorted(["k@example.com", users["sales_rep"].email])
    assert call["template_id"] == email_template.pk
    assert call["record"] == account
    assert call["idempotency_key"] == f"automation-run-{run.pk}-0"
    assert run.results.get().detail["left_out"] == [str(users["sales_rep2"])]


def test_an_email_to_the_address_of_a_linked_record(users, worker, outside, client_for):
    """A ticket's e-mail goes to the customer it is about (``contact.email``, one link away);
    a user's address one link away is refused: the organization's people get an email as
    owner, user or role, each checked to be in the record's scope."""
    from kesher.customers.tests.factories import make_contact
    from kesher.integrations.services import email_template_create
    from kesher.service.services import ticket_create

    admin = users["admin"]
    template = email_template_create(
        actor=admin,
        data={"name": "נפתחה", "entity": "tickets", "subject_he": "{{ number }}", "body_he": "."},
    )
    for wrong in ("handler.email", "owner.email", "contact.phone", "contact.nothing.email"):
        with pytest.raises(ValidationError):
            make_rule(
                admin,
                entity="tickets",
                trigger_kind="created",
                actions=[{"type": "send_email", "template": template.pk, "to_field": wrong}],
            )
    assert not Rule.objects.exists()
    make_rule(
        admin,
        entity="tickets",
        trigger_kind="created",
        actions=[{"type": "send_email", "template": template.pk, "to_field": "contact.email"}],
    )
    dana = make_contact(admin, first_name="דנה", email="dana@customer.example")
    with worker():
        ticket = ticket_create(actor=users["support_agent"], data={"subject": "א", "contact": dana})
        ticket_create(actor=users["support_agent"], data={"subject": "ב"})  # no contact
    call = outside.send_email.call_args_list[0].kwargs
    assert (call["to"], call["record"]) == (["dana@customer.example"], ticket)
    assert outside.send_email.call_count == 1
    # No one to send the other to: its action failed, said why.
    assert RuleActionResult.objects.filter(outcome="failed").count() == 1
    # The rule builder offers it, and no user's address.
    page = client_for(admin).get("/automation/rules/new/?entity=tickets").content.decode()
    assert "contact.email" in page
    assert "handler.email" not in page


def test_text_webhook_and_approval_actions(users, worker, outside):
    from kesher.approvals.models import ApprovalRequest
    from kesher.approvals.services import approval_process_create

    admin = users["admin"]
    process = approval_process_create(
        actor=admin,
        data={
            "name_he": "אישור לקוח",
            "name_en": "Customer sign-off",
            "entity": "accounts",
            "mode": "ordered",
            "steps": [{"approver": "user", "user": admin.pk}],
        },
    )
    with pytest.raises(ValidationError):  # a process of another entity, or none, is refused
        make_rule(admin, trigger_kind="created", actions=[{"type": "start_approval", "process": 0}])
    make_rule(
        admin,
        trigger_kind="created",
        actions=[
            {"type": "send_text", "channel": "sms", "to_field": "mobile", "body": "שלום {{name}}"},
            {"type": "call_webhook", "url": "http://127.0.0.1:9/hook", "secret": "s"},
            {"type": "start_approval", "process": process.pk},
        ],
    )
    with worker():
        account = make_account(admin, name="L", mobile="0521234567", owner=users["sales_rep"])
    run = RuleRun.objects.get()
    assert run.status == "done"
    text = outside.send_text.call_args.kwargs
    assert (text["channel"], text["body"], text["to"]) == ("sms", "שלום L", account.mobile)
    hook = outside.webhook_enqueue.call_args.kwargs
    assert hook["payload"]["record"]["id"] == account.pk
    assert hook["idempotency_key"] == f"automation-run-{run.pk}-1"
    approval = ApprovalRequest.objects.get()
    assert (approval.process, approval.link_id, approval.status) == (process, account.pk, "pending")


def test_round_robin_and_least_loaded_within_a_department(users, departments, worker):
    from kesher.activities.task_templates import task_from_template, task_template_create

    admin = users["admin"]
    template = task_template_create(
        actor=admin,
        data={
            "name": "rr",
            "title": "x",
            "assignee_rule": "round_robin",
            "assignee_department": departments["sales"],
        },
    )
    account = make_account(admin, name="M", owner=users["sales_rep"])
    people = [task_from_template(template, record=account).assignee for _ in range(3)]
    # Sales has the manager and, in North under it, rep1 (the inactive user is skipped).
    assert people == [users["manager"], users["sales_rep"], users["manager"]]
    least = task_template_create(
        actor=admin,
        data={
            "name": "ll",
            "title": "x",
            "assignee_rule": "least_loaded",
            "assignee_department": departments["sales"],
        },
    )
    assert task_from_template(least, record=account).assignee == users["sales_rep"]


def test_dry_run_writes_nothing(users, call_template, api_for):
    admin = users["admin"]
    account = make_account(admin, name="N", owner=admin, city="חיפה")
    rule = make_rule(
        admin,
        trigger_kind="created",
        condition={"field": "city", "op": "eq", "value": "חיפה"},
        actions=[*create_task(call_template), {"type": "add_tag", "tag": "x"}],
    )
    answer = rule_dry_run(rule, account)
    assert answer["matches"] is True
    assert "Call N" in answer["actions"][0]["would"]
    response = api_for(admin, "en").post(
        f"/api/v1/automation-rules/{rule.pk}/dry-run/", {"record_id": account.pk}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["matches"] is True
    assert not Task.objects.exists()
    assert not RuleRun.objects.exists()
    assert not account.tags.exists()


def test_runs_api_filters_and_timeline(
    users, worker, call_template, api_for, client_for, django_assert_max_num_queries
):
    admin = users["admin"]
    rule = make_rule(admin, trigger_kind="created", actions=create_task(call_template))
    with worker():
        accounts = [make_account(admin, name=f"O{n}", owner=admin) for n in range(5)]
    api = api_for(admin)
    with django_assert_max_num_queries(8):
        listed = api.get(f"/api/v1/automation-runs/?rule={rule.pk}")
    assert listed.json()["count"] == 5
    one = api.get(f"/api/v1/automation-runs/?entity=accounts&record_id={accounts[0].pk}").json()
    assert one["count"] == 1
    assert one["results"][0]["results"][0]["outcome"] == "done"
    assert api.get("/api/v1/automation-runs/?record_id=x").status_code == 400
    page = client_for(admin).get(f"/r/accounts/{accounts[0].pk}/timeline/")
    assert rule.name in page.content.decode()
    assert RuleActionResult.objects.count() == 5
    assert engine.current_run() is None


def test_email_is_queued_once_in_the_integrations_outbox(users, email_template):
    """The real integrations service: one outgoing message per action, keyed by the run."""
    from kesher.automation.worker import execute_run
    from kesher.integrations.models import OutgoingMessage

    admin = users["admin"]
    rule = make_rule(
        admin,
        trigger_kind="webhook",
        actions=[{"type": "send_email", "template": email_template.pk, "to_owner": True}],
    )
    account = make_account(admin, name="P", owner=users["sales_rep"])
    (run,) = engine.fire("webhook", "accounts", account.pk, rule=rule)
    assert execute_run(run.pk) == "done"
    message = OutgoingMessage.objects.get()
    assert message.to == users["sales_rep"].email
    assert message.idempotency_key == f"automation-run-{run.pk}-0"
    RuleActionResult.objects.filter(run=run).update(outcome="pending")
    assert execute_run(run.pk) == "done"  # run again: the same key, no second message
    assert OutgoingMessage.objects.count() == 1


def test_text_and_webhook_reach_the_integrations_outbox(users, worker):
    """The real integrations services: an SMS row and a webhook delivery, each keyed by the run
    and the action's place, sent later by that app's worker."""
    from kesher.integrations.models import OutgoingMessage, WebhookDelivery

    admin = users["admin"]
    make_rule(
        admin,
        trigger_kind="created",
        actions=[
            {"type": "send_text", "channel": "sms", "to_field": "mobile", "body": "שלום {{name}}"},
            {"type": "call_webhook", "url": "http://127.0.0.1:9/hook", "secret": "s3cret"},
            {"type": "remove_tag", "tag": "new"},
        ],
    )
    with worker():
        account = make_account(admin, name="Q", mobile="0521234567")
    run = RuleRun.objects.get()
    assert run.status == "done"
    sms = OutgoingMessage.objects.get()
    assert (sms.channel, sms.body_text) == ("sms", "שלום Q")
    assert sms.idempotency_key == f"automation-run-{run.pk}-0"
    delivery = WebhookDelivery.objects.get()
    assert delivery.url == "http://127.0.0.1:9/hook"
    assert delivery.idempotency_key == f"automation-run-{run.pk}-1"
    assert run.results.get(index=2).detail == {"tag": "new", "changed": False}
    assert not account.tags.exists()


def test_remove_tag_and_a_role_assignee(users, worker):
    from kesher.activities.task_templates import task_template_create
    from kesher.org.models import Role

    admin = users["admin"]
    template = task_template_create(
        actor=admin,
        data={
            "name": "to support",
            "title": "Look at {{name}}",
            "assignee_rule": "role",
            "assignee_role": Role.objects.get(key="support_agent"),
        },
    )
    make_rule(
        admin,
        trigger_kind="field_changed",
        trigger_config={"field": "city"},
        actions=[{"type": "remove_tag", "tag": "new"}, *create_task(template)],
    )
    account = make_account(admin, name="R", owner=users["sales_rep"])
    from kesher.platform.models import Tag

    account.tags.add(Tag.objects.create(name="new"))
    with worker():
        account_update(account, actor=admin, data={"city": "צפת"})
    assert not account.tags.exists()
    task = Task.objects.get(link_id=account.pk)
    assert (task.title, task.assignee) == ("Look at R", users["support_agent"])


def test_time_trigger_on_a_custom_date_field(users):
    from kesher.platform.customfields.schema import custom_field_create

    admin = users["admin"]
    custom_field_create(
        actor=admin,
        data={"entity": "accounts", "key": "renewal", "label_he": "חידוש", "type": "date"},
    )
    account = make_account(admin, name="S", custom={"renewal": "2026-03-10"})
    rule = make_rule(
        admin,
        trigger_kind="time",
        trigger_config={
            "field": "custom.renewal",
            "offset": 3,
            "unit": "days",
            "direction": "before",
        },
        actions=[{"type": "add_tag", "tag": "renewal"}],
    )
    now = datetime.datetime(2026, 3, 7, 12, 0, tzinfo=datetime.UTC)
    Rule.objects.filter(pk=rule.pk).update(scanned_until=now - datetime.timedelta(days=1))
    assert scan_scheduled(now) == 1
    assert RuleRun.objects.get().record_id == account.pk


def test_rules_that_do_not_match_cost_no_query(users, django_assert_num_queries):
    """A save that 20 rules do not match: their triggers and simple conditions are decided in
    memory (issue 5 "Performance": ≤ 1 ms per save)."""
    from kesher.platform.events import Event

    admin = users["admin"]
    for n in range(14):
        make_rule(
            admin,
            name=f"r{n}",
            entity="contacts",
            trigger_kind="created",
            condition={"all": [{"field": "city", "op": "eq", "value": f"nowhere {n}"}]},
            actions=[{"type": "add_tag", "tag": "x"}],
        )
    for n, field in enumerate(("city", "email", "title", "notes", "phone", "mobile")):
        make_rule(
            admin,
            name=f"c{n}",
            entity="contacts",
            trigger_kind="field_changed",
            trigger_config={"field": field},
            actions=[{"type": "add_tag", "tag": "x"}],
        )
    changes = {"first_name": [None, "דנה"], "city": [None, "חיפה"]}
    with stamps.remembered_for_request():  # as in a request: the stamps are read once
        engine.handle_event(Event("created", "contacts", 1, admin.pk, {}))  # loads the rules
        with django_assert_num_queries(0):
            engine.handle_event(Event("created", "contacts", 1, admin.pk, changes))
            engine.handle_event(
                Event("updated", "contacts", 1, admin.pk, {"first_name": ["a", "b"]})
            )
    # Outside a request (the worker) one small query checks that the rules are current.
    with django_assert_num_queries(1):
        engine.handle_event(Event("created", "contacts", 1, admin.pk, changes))
    assert not RuleRun.objects.exists()


def test_a_rule_changed_in_another_process_applies_to_the_next_save(users):
    """No time-to-live: the rule's change renews the stamp, which every process reads."""
    from django.db import connection

    from kesher.platform.events import Event

    admin = users["admin"]
    rule = make_rule(
        admin,
        name="לא פעיל",
        entity="contacts",
        trigger_kind="created",
        actions=[{"type": "add_tag", "tag": "x"}],
    )
    Rule.objects.filter(pk=rule.pk).update(enabled=False)
    engine.handle_event(Event("created", "contacts", 1, admin.pk, {}))
    assert not RuleRun.objects.exists()
    with connection.cursor() as cursor:  # another process enables it
        cursor.execute("UPDATE automation_rule SET enabled = %s WHERE id = %s", [True, rule.pk])
        cursor.execute(
            "UPDATE platform_schemastamp SET token = %s WHERE name = %s", ["x1", "automation"]
        )
    engine.handle_event(Event("created", "contacts", 1, admin.pk, {}))
    assert RuleRun.objects.filter(rule=rule).count() == 1


def test_a_scan_queues_its_runs_in_one_statement(
    users, call_template, django_assert_max_num_queries
):
    """A window with many due records queues a run each by one INSERT (the same number of
    queries for 3 records as for 30), each as ``create_runs`` would have made it; the window
    scanned again makes none and does not start the worker."""
    admin = users["admin"]
    rule = make_rule(
        admin,
        trigger_kind="time",
        trigger_config={
            "field": "last_contact_at",
            "offset": 2,
            "unit": "hours",
            "direction": "after",
        },
        actions=create_task(call_template),
    )
    from kesher.customers.models import Account

    now = timezone.now()
    accounts = [make_account(admin, name=f"A{i}", owner=admin) for i in range(30)]
    Account.objects.filter(pk__in=[a.pk for a in accounts]).update(
        last_contact_at=now - datetime.timedelta(hours=2, minutes=5)
    )
    rewind = now - datetime.timedelta(minutes=10)
    Rule.objects.filter(pk=rule.pk).update(scanned_until=rewind)
    with mock.patch.object(engine, "_start_worker") as started:
        with django_assert_max_num_queries(9) as captured:
            assert scan_scheduled(now) == 30
        assert started.call_count == 1
        inserts = [q for q in captured.captured_queries if "automation_rulerun" in q["sql"]]
        assert len(inserts) == 1
        runs = list(RuleRun.objects.filter(rule=rule).order_by("record_id"))
        assert [r.record_id for r in runs] == sorted(a.pk for a in accounts)
        first = runs[0]
        assert (first.entity, first.trigger, first.status, first.depth) == (
            "accounts",
            "time",
            "pending",
            0,
        )
        assert first.actions == rule.actions
        assert first.trigger_info["event"] == "time"
        assert first.dedupe_key.startswith(f"{rule.pk}:{first.record_id}:")
        assert first.created_at == first.next_attempt_at
        Rule.objects.filter(pk=rule.pk).update(scanned_until=rewind)
        assert scan_scheduled(now) == 30  # found again …
        assert started.call_count == 1  # … nothing queued, no worker started
    assert RuleRun.objects.filter(rule=rule).count() == 30

"""History (interactions) and open tasks from an old system: each row names the record it is
about by the old system's id, our id or a natural key, resolved a batch at a time (REQ IM-2,
CU-3, TK-1; decision 0037)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from kesher.activities.models import Interaction, Task
from kesher.customers.models import Account
from kesher.customers.tests.factories import VALID_COMPANY_NUMBER, make_account, make_contact
from kesher.imports import services
from kesher.imports.models import ExternalId, ImportJob
from kesher.imports.tests.helpers import check, run, undo, upload

pytestmark = pytest.mark.django_db
Status = ImportJob.Status

HISTORY = [
    ["מזהה", "לקוח (מזהה ישן)", "סוג", "תוצאה", "נושא", "תאריך", "אחראי"],
    ["h1", "A-1", "שיחה", "Reached", "שיחת היכרות", "03/02/2025 10:30", "rep1"],
    ["h2", "A-1", "פגישה", "", "פגישה במשרד", "45700", "rep1@example.co.il"],
    ["h3", "A-2", "email", "no_answer", "הצעת מחיר", "05/02/2025", "rep1 "],
]
HISTORY_MAPPING = {
    "columns": {
        "0": {"field": "external_id"},
        "1": {"field": "about.accounts.external_id"},
        "2": {"field": "kind"},
        "3": {"field": "outcome"},
        "4": {"field": "subject"},
        "5": {"field": "occurred_at"},
        "6": {"field": "owner"},
    },
    "source": "old-crm",
    "match": "external_id",
}


def _accounts_with_external_ids(actor, **ids):
    """Accounts as an earlier import left them: each with its old system's id."""
    result = {}
    for external_id, name in ids.items():
        account = make_account(actor, name=name)
        ExternalId.objects.create(
            entity="accounts", record_id=account.pk, source="old-crm", external_id=external_id
        )
        result[external_id] = account
    return result


def test_history_links_to_accounts_by_external_id_and_touches_last_contact(users):
    rep = users["sales_rep"]
    accounts = _accounts_with_external_ids(rep, **{"A-1": "אלפא", "A-2": "בטא"})
    job = check(upload(rep, HISTORY, entity="interactions"), rep, HISTORY_MAPPING, "upsert")
    assert (job.status, job.created, job.invalid) == (Status.CHECKED, 3, 0)
    assert not Interaction.objects.exists()
    job = run(job, rep)
    assert (job.status, job.created) == (Status.DONE, 3)
    call = Interaction.objects.get(subject="שיחת היכרות")
    assert (call.link_type, call.link_id) == ("accounts", accounts["A-1"].pk)
    assert (call.kind.value, call.outcome.value, call.owner) == ("call", "reached", rep)
    assert timezone.localtime(call.occurred_at).strftime("%d/%m/%Y %H:%M") == "03/02/2025 10:30"
    meeting = Interaction.objects.get(subject="פגישה במשרד")
    assert timezone.localtime(meeting.occurred_at).date() == datetime.date(2025, 2, 12)
    alpha = Account.objects.get(pk=accounts["A-1"].pk)
    assert alpha.last_contact_at == meeting.occurred_at  # the later of its two interactions
    assert Account.objects.get(pk=accounts["A-2"].pk).last_contact_at is not None


def test_the_same_history_file_twice_in_upsert_mode_changes_nothing(users):
    rep = users["sales_rep"]
    _accounts_with_external_ids(rep, **{"A-1": "אלפא", "A-2": "בטא"})
    run(check(upload(rep, HISTORY, entity="interactions"), rep, HISTORY_MAPPING, "upsert"), rep)
    before = list(Interaction.objects.order_by("pk").values())
    again = check(upload(rep, HISTORY, entity="interactions"), rep, HISTORY_MAPPING, "upsert")
    again = run(again, rep)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert list(Interaction.objects.order_by("pk").values()) == before


@translation.override("en")
def test_dry_run_reports_unknown_ids_bad_values_dates_and_hostile_text(users):
    rep = users["sales_rep"]
    rep.language = "en"  # the worker speaks the importer's language
    rep.save(update_fields=["language"])
    _accounts_with_external_ids(rep, **{"A-1": "אלפא"})
    rows = [
        *HISTORY[:2],
        ["h4", "NOPE", "call", "", "x", "01/01/2025", ""],
        ["h5", "A-1", "fax", "", "x", "01/01/2025", ""],
        ["h6", "A-1", "call", "", "x", "31/02/2025", ""],
        ["h7", "A-1", "call", "", "<script>alert(1)</script>" + "x" * 400, "01/01/2025", ""],
        ["h8", "A-1", "call", "", "x", "01/01/2025 25:99", "nobody"],
    ]
    job = check(upload(rep, rows, entity="interactions"), rep, HISTORY_MAPPING, "upsert")
    assert (job.created, job.invalid) == (1, 5)
    problems = {(i.row, i.column): i.message for i in job.issues.all()}
    assert problems[(3, "לקוח (מזהה ישן)")] == "No account with this value, or you may not see it."
    assert "not one of the values" in problems[(4, "סוג")]
    assert "31/12/2024" in problems[(5, "תאריך")]
    assert "255" in problems[(6, "נושא")] or "at most" in problems[(6, "נושא")]
    assert "14:30" in problems[(7, "תאריך")]
    assert problems[(7, "אחראי")] == "No active user “nobody”."
    with pytest.raises(Exception, match="bad rows"):
        services.import_start(job, actor=rep)
    assert not Interaction.objects.exists()


def test_a_rep_cannot_link_history_to_a_record_outside_his_scope(users):
    rep, other = users["sales_rep"], users["sales_rep2"]
    _accounts_with_external_ids(other, **{"A-1": "של נציג אחר"})
    job = check(upload(rep, HISTORY[:2], entity="interactions"), rep, HISTORY_MAPPING, "upsert")
    assert (job.created, job.invalid) == (0, 1)
    assert "אין לך הרשאה לראות" in job.issues.get().message  # the rep works in Hebrew
    admin = users["admin"]
    job = check(upload(admin, HISTORY[:2], entity="interactions"), admin, HISTORY_MAPPING)
    assert (job.created, job.invalid) == (1, 0)


def test_about_by_natural_keys_and_by_our_id(users):
    admin = users["admin"]
    account = make_account(admin, name="גמא", company_number=VALID_COMPANY_NUMBER)
    contact = make_contact(admin, first_name="דנה", email="Dana@Example.co.il", mobile="0541234567")
    cases = [
        ("about.accounts.company_number", VALID_COMPANY_NUMBER, account),
        ("about.accounts.name", "גמא", account),
        ("about.accounts.id", str(account.pk), account),
        ("about.contacts.email", "dana@example.CO.IL", contact),
        ("about.contacts.mobile", "054-123-4567", contact),
    ]
    for key, value, record in cases:
        rows = [["about", "kind", "subject"], [value, "call", key]]
        mapping = {
            "columns": {"0": {"field": key}, "1": {"field": "kind"}, "2": {"field": "subject"}}
        }
        job = run(check(upload(admin, rows, entity="interactions"), admin, mapping), admin)
        assert job.created == 1, key
        made = Interaction.objects.get(subject=key)
        assert (made.link_type, made.link_id) == (record._meta.model_name + "s", record.pk)


def test_history_resolution_costs_a_bounded_number_of_queries_per_batch(
    users, django_assert_max_num_queries
):
    admin = users["admin"]
    ids = {f"A-{n}": f"לקוח {n}" for n in range(40)}
    _accounts_with_external_ids(admin, **ids)
    mapping = {
        "columns": {
            "0": {"field": "about.accounts.external_id"},
            "1": {"field": "kind"},
            "2": {"field": "subject"},
        },
        "source": "old-crm",
    }
    from kesher.imports import lookup
    from kesher.imports.engine import plan_for

    def plan_and_rows(count):
        rows = [[f"A-{n % 40}", "call", f"s{n}"] for n in range(count)]
        job = upload(admin, [["about", "kind", "subject"], *rows], entity="interactions")
        services.import_set_mapping(job, actor=admin, mapping=mapping)
        return plan_for(ImportJob.objects.get(pk=job.pk), admin), rows

    plan, rows = plan_and_rows(10)
    with django_assert_max_num_queries(3):
        lookup.prefetch(plan, rows)
    plan, rows = plan_and_rows(200)
    with django_assert_max_num_queries(3):  # the same for 200 rows as for 10
        lookup.prefetch(plan, rows)


TASKS = [
    ["מזהה", "לקוח", "כותרת", "סוג", "עדיפות", "סטטוס", "תאריך יעד", "מבצע"],
    ["t1", "A-1", "להתקשר בחזרה", "חזרה ללקוח", "High", "פתוחה", "10/03/2026 09:00", "rep1"],
    ["t2", "A-1", "לשלוח הצעה", "send_quote", "", "", "11/03/2026", "rep1"],
]
TASK_MAPPING = {
    "columns": {
        "0": {"field": "external_id"},
        "1": {"field": "about.accounts.external_id"},
        "2": {"field": "title"},
        "3": {"field": "task_type"},
        "4": {"field": "priority", "values": {"High": "high"}},
        "5": {"field": "status"},
        "6": {"field": "due_at"},
        "7": {"field": "assignee"},
    },
    "source": "old-crm",
    "match": "external_id",
}


def test_open_tasks_get_their_due_date_sla_and_link_and_undo_removes_them(users):
    rep = users["sales_rep"]
    accounts = _accounts_with_external_ids(rep, **{"A-1": "אלפא"})
    job = run(check(upload(rep, TASKS, entity="tasks"), rep, TASK_MAPPING, "upsert"), rep)
    assert (job.status, job.created) == (Status.DONE, 2)
    call_back = Task.objects.get(title="להתקשר בחזרה")
    assert (call_back.link_type, call_back.link_id) == ("accounts", accounts["A-1"].pk)
    assert (call_back.priority.value, call_back.status.value) == ("high", "open")
    assert call_back.assignee == rep
    assert call_back.is_open
    assert call_back.sla_due_at is not None  # "call back" has a 4 business hours SLA
    quote = Task.objects.get(title="לשלוח הצעה")
    assert quote.status.value == "open"  # the default status
    assert timezone.localtime(quote.due_at).date() == datetime.date(2026, 3, 11)
    result = undo(job, rep)
    assert result["deleted"] == 2
    assert not Task.objects.exists()


@translation.override("en")
def test_a_task_type_outside_its_list_and_a_second_about_column_are_refused(users):
    rep = users["sales_rep"]
    _accounts_with_external_ids(rep, **{"A-1": "אלפא"})
    rows = [*TASKS[:1], ["t3", "A-1", "x", "industry-value", "", "", "01/01/2026", "rep1"]]
    job = check(upload(rep, rows, entity="tasks"), rep, TASK_MAPPING)
    assert job.invalid == 1
    assert job.issues.get().column == "סוג"
    mapping = {
        **TASK_MAPPING,
        "columns": {**TASK_MAPPING["columns"], "2": {"field": "about.accounts.name"}},
    }
    with pytest.raises(Exception, match="one column only"):
        services.import_set_mapping(job, actor=rep, mapping=mapping)


def test_a_child_value_outside_its_parent_is_reported(users):
    """A dependent pick-list on interactions: the area must belong to the row's region."""
    from kesher.platform.models import Choice, CustomField

    admin = users["admin"]
    admin.language = "en"
    admin.save(update_fields=["language"])
    _accounts_with_external_ids(admin, **{"A-1": "אלפא"})
    north = Choice.objects.create(list_key="region", value="north", label_he="צפון")
    south = Choice.objects.create(list_key="region", value="south", label_he="דרום")
    Choice.objects.create(list_key="area", value="haifa", label_he="חיפה", parent=north)
    Choice.objects.create(list_key="area", value="eilat", label_he="אילת", parent=south)
    region = CustomField.objects.create(
        entity="interactions", key="region", label_he="אזור", type="choice", choice_list="region"
    )
    CustomField.objects.create(
        entity="interactions",
        key="area",
        label_he="תת אזור",
        type="choice",
        choice_list="area",
        parent=region,
    )
    rows = [
        ["about", "kind", "subject", "region", "area"],
        ["A-1", "call", "ok", "צפון", "חיפה"],
        ["A-1", "call", "wrong", "צפון", "אילת"],
    ]
    mapping = {
        "columns": {
            "0": {"field": "about.accounts.external_id"},
            "1": {"field": "kind"},
            "2": {"field": "subject"},
            "3": {"field": "custom.region"},
            "4": {"field": "custom.area"},
        },
        "source": "old-crm",
    }
    job = check(upload(admin, rows, entity="interactions"), admin, mapping)
    assert (job.created, job.invalid) == (1, 1)
    issue = job.issues.get()
    assert issue.row == 3
    assert issue.column == "area"


def test_the_same_tasks_file_twice_changes_nothing_and_hostile_text_stays_text(users, client_for):
    rep = users["sales_rep"]
    _accounts_with_external_ids(rep, **{"A-1": "אלפא"})
    rows = [*TASKS, ["t3", "A-1", "<script>alert('x')</script>", "general", "", "", "", "rep1"]]
    run(check(upload(rep, rows, entity="tasks"), rep, TASK_MAPPING, "upsert"), rep)
    before = list(Task.objects.order_by("pk").values())
    again = run(check(upload(rep, rows, entity="tasks"), rep, TASK_MAPPING, "upsert"), rep)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert list(Task.objects.order_by("pk").values()) == before
    hostile = Task.objects.get(title__startswith="<script>")
    page = client_for(rep).get(f"/r/tasks/{hostile.pk}/").content.decode()
    assert "<script>alert('x')</script>" not in page
    assert "&lt;script&gt;" in page


def test_owner_by_full_name_and_an_ambiguous_name_is_refused(users):
    admin = users["admin"]
    admin.language = "en"
    admin.save(update_fields=["language"])
    _accounts_with_external_ids(admin, **{"A-1": "אלפא"})
    users["sales_rep"].first_name, users["sales_rep"].last_name = "נועה", "ברק"
    users["sales_rep"].save()
    for twin in ("manager", "sales_rep2"):
        users[twin].first_name, users[twin].last_name = "דן", "כהן"
        users[twin].save()
    rows = [
        ["about", "kind", "subject", "owner"],
        ["A-1", "call", "by full name", "נועה ברק"],
        ["A-1", "call", "two users so named", "דן כהן"],
    ]
    mapping = {
        "columns": {
            "0": {"field": "about.accounts.external_id"},
            "1": {"field": "kind"},
            "2": {"field": "subject"},
            "3": {"field": "owner"},
        },
        "source": "old-crm",
        "skip_invalid": True,
    }
    job = run(check(upload(admin, rows, entity="interactions"), admin, mapping), admin)
    assert (job.created, job.invalid) == (1, 1)
    assert Interaction.objects.get().owner == users["sales_rep"]
    assert job.issues.get().message == "No active user “דן כהן”."


def test_owners_and_pick_list_values_are_loaded_once_a_job_not_once_a_row(users):
    """Rows written one by one through interaction_create get their owner and pick-list values
    as records loaded once: no lookup a row to validate them or to show them in the audit."""
    rep = users["sales_rep"]
    _accounts_with_external_ids(rep, **{"A-1": "אלפא", "A-2": "בטא"})
    rows = [HISTORY[0]] + [
        [f"h{n}", f"A-{n % 2 + 1}", "שיחה", "Reached", f"שיחה {n}", "03/02/2025 10:30", "rep1"]
        for n in range(12)
    ]
    job = check(upload(rep, rows, entity="interactions"), rep, HISTORY_MAPPING, "upsert")
    with CaptureQueriesContext(connection) as seen:
        job = run(job, rep)
    assert job.created == 12
    users_read = [q for q in seen.captured_queries if 'FROM "org_user"' in q["sql"]]
    choices_read = [q for q in seen.captured_queries if 'FROM "platform_choice"' in q["sql"]]
    assert len(users_read) <= 2, [q["sql"] for q in users_read]
    assert len(choices_read) <= 3, [q["sql"] for q in choices_read]  # two lists, their values
    assert {i.owner.username for i in Interaction.objects.all()} == {"rep1"}

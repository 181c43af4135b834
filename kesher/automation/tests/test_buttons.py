"""Buttons and wizards (REQ CX-7; decision 0108): a button's questions are validated like a
form and reach the actions; a press runs once per record, within the presser's scope and
rights, in batches; a wizard writes every step in one transaction, and nothing when left."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from kesher.activities.models import Task
from kesher.automation import buttons as button_module
from kesher.automation.buttons import button_create, button_press, buttons_for, job_advance
from kesher.automation.models import Button, ButtonJob, RuleRun, Wizard
from kesher.automation.services import rule_create
from kesher.automation.wizards import wizard_create
from kesher.customers.models import Account, Contact
from kesher.customers.tests.factories import make_account
from kesher.sales.models import Opportunity, Stage

pytestmark = pytest.mark.django_db

QUESTIONS = [
    {"key": "reason", "label_he": "סיבה", "label_en": "Reason", "type": "text", "required": True},
    {
        "key": "level",
        "label_he": "רמה",
        "label_en": "Level",
        "type": "choice",
        "required": False,
        "choices": [{"value": "high", "label_he": "גבוהה", "label_en": "High"}],
    },
    {"key": "when", "label_he": "מתי", "label_en": "When", "type": "date", "required": False},
]


@pytest.fixture
def button(users):
    rule = rule_create(
        actor=users["admin"],
        data={
            "name": "Close",
            "entity": "accounts",
            "trigger_kind": "manual",
            "actions": [
                {"type": "add_tag", "tag": "closed"},
                {"type": "update_fields", "values": {"notes": "Closed: {{answer.reason}}"}},
            ],
        },
    )
    return button_create(
        actor=users["admin"],
        data={
            "label_he": "סגירה",
            "label_en": "Close",
            "entity": "accounts",
            "rule": rule,
            "on_record": True,
            "on_list": True,
            "questions": QUESTIONS,
        },
    )


def test_a_button_needs_a_manual_rule_of_its_records(users, api_for, button):
    other = rule_create(
        actor=users["admin"],
        data={
            "name": "On create",
            "entity": "accounts",
            "trigger_kind": "created",
            "actions": [{"type": "add_tag", "tag": "x"}],
        },
    )
    bad = {
        "label_he": "x",
        "entity": "accounts",
        "rule": other.pk,
        "on_record": False,
        "on_list": False,
        "questions": [{"key": "Bad Key", "label_he": "x", "type": "text"}],
    }
    response = api_for(users["admin"], "en").post("/api/v1/automation-buttons/", bad, format="json")
    assert response.status_code == 400
    body = response.json()
    assert {"rule", "on_record", "questions"} <= set(body)
    assert "Pressing a button" in body["rule"][0]
    assert Button.objects.count() == 1


def test_answers_are_validated_like_a_form_and_nothing_is_written(users, api_for, button):
    account = make_account(users["sales_rep"], owner=users["sales_rep"])
    client = api_for(users["sales_rep"], "he")
    url = f"/api/v1/record-buttons/{button.pk}/press/"
    response = client.post(
        url, {"ids": [account.pk], "answers": {"level": "nope", "when": "x"}}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert {"answers.reason", "answers.level", "answers.when"} <= set(body)
    assert body["answers.reason"] == ["זהו שדה חובה."]
    assert not ButtonJob.objects.exists()
    assert not RuleRun.objects.exists()


def test_one_press_on_a_record_runs_the_actions_with_the_answers(users, api_for, button, worker):
    account = make_account(users["sales_rep"], owner=users["sales_rep"])
    listed = api_for(users["sales_rep"]).get("/api/v1/record-buttons/?entity=accounts").json()
    assert [b["id"] for b in listed] == [button.pk]
    assert listed[0]["questions"][0]["label"] == "סיבה"
    with worker():
        response = api_for(users["sales_rep"]).post(
            f"/api/v1/record-buttons/{button.pk}/press/",
            {"ids": [account.pk], "answers": {"reason": "עבר למתחרה", "when": "2026-12-31"}},
            format="json",
        )
    assert response.status_code == 202, response.content
    job = ButtonJob.objects.get()
    assert response.json()["job"] == job.pk
    assert job.status == "done"
    assert job.queued == 1
    assert job.answers == {"reason": "עבר למתחרה", "level": "", "when": "2026-12-31"}
    account.refresh_from_db()
    assert account.notes == "Closed: עבר למתחרה"
    assert [t.name for t in account.tags.all()] == ["closed"]
    progress = api_for(users["sales_rep"]).get(f"/api/v1/button-jobs/{job.pk}/").json()
    assert progress["runs"]["done"] == 1
    assert progress["runs"]["finished"] is True


def test_a_press_on_many_records_respects_scope_rights_condition_and_runs_once(
    users, button, monkeypatch, django_capture_on_commit_callbacks
):
    Button.objects.filter(pk=button.pk).update(
        condition={"field": "city", "op": "ne", "value": "אילת"}
    )
    monkeypatch.setattr(button_module, "INLINE", 1)
    monkeypatch.setattr(button_module, "BATCH", 2)
    rep, other = users["sales_rep"], users["sales_rep2"]
    mine = [make_account(rep, owner=rep, city="חיפה") for _ in range(3)]
    elsewhere = make_account(rep, owner=rep, city="אילת")
    theirs = make_account(other, owner=other)
    button.refresh_from_db()
    ids = [a.pk for a in mine] + [elsewhere.pk, theirs.pk, mine[0].pk]
    with django_capture_on_commit_callbacks() as queued:
        job = button_press(button, actor=rep, ids=ids, answers={"reason": "r"})
    assert job.status == "queued"
    assert job.total == 5
    assert queued  # handed to the worker after commit
    job = job_advance(job.pk)
    job_advance(job.pk)  # taken up again (a "stalled" job): nothing twice
    assert job.status == "done"
    assert job.done == 5
    assert job.queued == 3
    runs = RuleRun.objects.filter(job=job)
    assert sorted(runs.values_list("record_id", flat=True)) == sorted(a.pk for a in mine)
    reasons = {s["id"]: s["reason"] for s in job.skipped}
    assert set(reasons) == {elsewhere.pk, theirs.pk}
    # A read-only user sees no button and may not press it.
    assert buttons_for(users["read_only"], "accounts", on_list=True) == []
    with pytest.raises(PermissionDenied):
        button_press(button, actor=users["read_only"], ids=[mine[0].pk], answers={"reason": "r"})


def test_roles_and_the_record_condition_decide_who_sees_a_button(users, button, client_for):
    from kesher.org.models import Role

    account = make_account(users["sales_rep"], owner=users["sales_rep"], city="חיפה")
    button.roles.set([Role.objects.get(key="manager")])
    Button.objects.filter(pk=button.pk).update(version=2)  # renews the buttons' stamp
    assert buttons_for(users["sales_rep"], "accounts", record=account) == []
    button.roles.clear()
    Button.objects.filter(pk=button.pk).update(
        condition={"field": "city", "op": "eq", "value": "x"}
    )
    assert buttons_for(users["sales_rep"], "accounts", record=account) == []
    Button.objects.filter(pk=button.pk).update(condition={})
    page = client_for(users["sales_rep"]).get(
        reverse("entity_detail", args=["accounts", account.pk])
    )
    assert f'id="button-{button.pk}"' in page.content.decode()
    listing = client_for(users["sales_rep"]).get(reverse("entity_list", args=["accounts"]))
    assert f'id="list-button-{button.pk}"' in listing.content.decode()


def test_the_questions_form_on_the_page_shows_errors_then_runs(users, button, client_for, worker):
    account = make_account(users["sales_rep"], owner=users["sales_rep"])
    client = client_for(users["sales_rep"])
    url = reverse("automation_button_press", args=[button.pk])
    form = client.get(url, {"ids": account.pk}, HTTP_HX_REQUEST="true")
    assert 'name="answer_reason"' in form.content.decode()
    refused = client.post(url, {"ids": account.pk}, HTTP_HX_REQUEST="true")
    assert "invalid-feedback" in refused.content.decode()
    assert not ButtonJob.objects.exists()
    with worker():
        done = client.post(url, {"ids": account.pk, "answer_reason": "ok"}, HTTP_HX_REQUEST="true")
    assert 'id="button-progress"' in done.content.decode()
    account.refresh_from_db()
    assert account.notes == "Closed: ok"


# --- wizards -----------------------------------------------------------------------------------


@pytest.fixture
def wizard(users):
    return wizard_create(
        actor=users["admin"],
        data={
            "name_he": "לקוח חדש",
            "name_en": "New customer",
            "steps": [
                {"entity": "accounts", "title_he": "הלקוח", "fields": ["name", "city"]},
                {
                    "entity": "contacts",
                    "title_he": "איש קשר",
                    "fields": ["first_name", "last_name"],
                    "links": {"accounts": 1},
                },
                {
                    "entity": "opportunities",
                    "title_he": "עסקה ראשונה",
                    "fields": ["name", "stage", "amount"],
                    "links": {"account": 1},
                },
                {
                    "entity": "tasks",
                    "title_he": "משימת קבלת פנים",
                    "fields": ["title"],
                    "links": {"link": 1},
                },
            ],
        },
    )


def test_bad_wizard_steps_are_refused(users, api_for):
    bad = {
        "name_he": "x",
        "steps": [
            {"entity": "accounts", "title_he": "a", "fields": ["name"]},
            {
                "entity": "opportunities",
                "title_he": "b",
                "fields": ["name"],
                "links": {"account": 2},
            },
        ],
    }
    response = api_for(users["admin"], "en").post("/api/v1/automation-wizards/", bad, format="json")
    assert response.status_code == 400
    assert "Step 2" in response.json()["steps"][0]
    assert not Wizard.objects.exists()


def test_a_wizard_writes_every_step_in_one_transaction(users, wizard, api_for):
    client = api_for(users["sales_rep"], "en")
    assert [w["id"] for w in client.get("/api/v1/record-wizards/").json()] == [wizard.pk]
    steps = [
        {"name": "אלון תעשיות", "city": "חיפה"},
        {"first_name": "דנה", "last_name": "לוי"},
        {"name": "ריהוט", "stage": Stage.objects.first().pk, "amount": "12000"},
        {"title": ""},  # required: the whole wizard is refused
    ]
    url = f"/api/v1/record-wizards/{wizard.pk}/finish/"
    refused = client.post(url, {"steps": steps}, format="json")
    assert refused.status_code == 400
    assert "steps.4.title" in refused.json()
    assert not Account.objects.exists()
    assert not Opportunity.objects.exists()
    steps[3] = {"title": "שיחת היכרות"}
    made = client.post(url, {"steps": steps}, format="json")
    assert made.status_code == 201, made.content
    account = Account.objects.get()
    assert Contact.objects.get().accounts.get() == account
    assert Opportunity.objects.get().account == account
    task = Task.objects.get(title="שיחת היכרות")
    assert (task.link_type, task.link_id) == ("accounts", account.pk)
    assert [r["entity"] for r in made.json()["records"]] == [
        "accounts",
        "contacts",
        "opportunities",
        "tasks",
    ]


def test_a_wizard_left_midway_writes_nothing(users, wizard, client_for):
    client = client_for(users["sales_rep"])
    url = reverse("automation_wizard", args=[wizard.pk])
    assert client.get(url).status_code == 200
    client.post(url, {"name": "אלון", "city": "חיפה", "move": "next"})
    second = client.post(url, {"first_name": "דנה", "last_name": "לוי", "move": "next"})
    assert second.status_code == 302
    page = client.get(url)
    assert "עסקה ראשונה" in page.content.decode()
    # Abandoned here: nothing was written; "Cancel" forgets the answers.
    assert not Account.objects.exists()
    assert not Contact.objects.exists()
    client.post(url, {"move": "cancel"})
    assert "הלקוח" in client.get(url).content.decode()
    assert not Account.objects.exists()

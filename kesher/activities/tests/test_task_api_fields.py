"""What the task and account pages show, the API says too, read-only, in the reader's time
zone: a task's SLA due time, open/closed state, closing time and delegator (REQ TK-3, TK-4), an
account's and a contact's last contact (REQ CU-9) — issue "Platform v2" item 10."""

import datetime
import zoneinfo

import pytest
from django.test import Client

from kesher.activities.services import task_update
from kesher.activities.tests.factories import choice, make_interaction, make_task
from kesher.customers.tests.factories import make_account, make_contact
from kesher.org.services import api_token_create

pytestmark = pytest.mark.django_db

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


def token_client(user) -> Client:
    """A client as an integration calls: a personal token, no session, no language asked."""
    _token, key = api_token_create(user=user, name="integration")
    return Client(headers={"Authorization": f"Token {key}"})


def in_new_york(text: str) -> datetime.datetime:
    """An ISO 8601 time from the API, checked to carry New York's offset at that moment."""
    when = datetime.datetime.fromisoformat(text)
    assert when.utcoffset() == when.astimezone(NEW_YORK).utcoffset(), text
    return when


def test_a_delegated_task_reads_its_sla_state_and_delegator(users):
    rep, manager = users["sales_rep"], users["manager"]
    rep.time_zone = "America/New_York"
    rep.save(update_fields=["time_zone"])
    account = make_account(rep)
    task = make_task(manager, account, assignee=rep, task_type=choice("task_type", "call_back"))
    body = token_client(rep).get(f"/api/v1/tasks/{task.pk}/").json()
    assert body["delegated_by"] == manager.pk
    assert body["created_by"] == manager.pk
    assert body["is_open"] is True
    assert body["closed_at"] is None
    assert in_new_york(body["sla_due_at"]) == task.sla_due_at

    task_update(task, actor=rep, data={"status": choice("task_status", "done")})
    task.refresh_from_db()
    closed = token_client(rep).get(f"/api/v1/tasks/{task.pk}/").json()
    assert closed["is_open"] is False
    assert in_new_york(closed["closed_at"]) == task.closed_at
    listed = token_client(rep).get("/api/v1/tasks/", {"is_open": "false"}).json()["results"]
    assert [(row["id"], row["is_open"]) for row in listed] == [(task.pk, False)]


def test_the_derived_fields_are_read_only(users, api_for):
    rep = users["sales_rep"]
    task = make_task(rep, make_account(rep), task_type=choice("task_type", "call_back"))
    due = task.sla_due_at
    response = api_for(rep).patch(
        f"/api/v1/tasks/{task.pk}/",
        {"is_open": False, "sla_due_at": "2030-01-01T00:00:00Z", "delegated_by": 1},
        format="json",
    )
    assert response.status_code == 200
    task.refresh_from_db()
    assert (task.is_open, task.sla_due_at, task.delegated_by_id) == (True, due, None)


def test_accounts_and_contacts_read_their_last_contact(users, api_for):
    rep = users["sales_rep"]
    rep.time_zone = "America/New_York"
    rep.save(update_fields=["time_zone"])
    account = make_account(rep)
    contact = make_contact(rep, account_links=[{"account": account}])
    assert api_for(rep).get(f"/api/v1/accounts/{account.pk}/").json()["last_contact_at"] is None
    when = datetime.datetime(2026, 7, 1, 9, 30, tzinfo=datetime.UTC)
    make_interaction(rep, account, occurred_at=when, m2m={"participant_contacts": [contact]})
    for path in (f"/api/v1/accounts/{account.pk}/", f"/api/v1/contacts/{contact.pk}/"):
        text = api_for(rep).get(path).json()["last_contact_at"]
        assert text == "2026-07-01T05:30:00-04:00", path


def test_the_schema_marks_them_read_only(api_schema):
    schema = api_schema()
    task = schema["components"]["schemas"]["Task"]["properties"]
    for name in ("sla_due_at", "is_open", "closed_at", "delegated_by", "created_by"):
        assert task[name]["readOnly"] is True, name
    account = schema["components"]["schemas"]["Account"]["properties"]
    assert account["last_contact_at"]["readOnly"] is True
    assert "last_contact_at" not in schema["components"]["schemas"]["AccountRequest"]["properties"]

"""Activities' pick-list settings, edited as data (REQ TK-4, CX-4; issue "Platform v2" item 10):
a task type's SLA hours and which statuses close a task, on the pick-list pages and the API."""

import datetime

import pytest
from django.utils import timezone

from kesher.activities.calendar import add_business_time
from kesher.activities.services import calendar_for
from kesher.activities.tests.factories import choice, make_task
from kesher.customers.tests.factories import make_account

pytestmark = pytest.mark.django_db

# A Sunday morning in Jerusalem, no holiday: inside working hours.
NOW = datetime.datetime(2026, 11, 1, 7, 0, tzinfo=datetime.UTC)


def test_a_task_types_sla_hours_set_in_the_api_time_new_tasks(users, api_for, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    call_back = choice("task_type", "call_back")
    response = api_for(users["admin"]).patch(
        f"/api/v1/choices/{call_back.pk}/", {"extra": {"sla_hours": 8}}, format="json"
    )
    assert response.status_code == 200, response.content
    rep = users["sales_rep"]
    task = make_task(rep, make_account(rep), task_type=choice("task_type", "call_back"))
    assert task.sla_due_at == add_business_time(NOW, 8.0, calendar_for(rep))
    assert task.sla_due_at != add_business_time(NOW, 4.0, calendar_for(rep))
    api_for(users["admin"]).patch(
        f"/api/v1/choices/{call_back.pk}/", {"extra": {"sla_hours": None}}, format="json"
    )
    untimed = make_task(rep, make_account(rep), task_type=choice("task_type", "call_back"))
    assert untimed.sla_due_at is None


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "A status that counts as done also closes the task."),
        ("he", "סטטוס שנחשב כביצוע גם סוגר את המשימה."),
    ],
)
def test_a_done_status_must_close_the_task(users, api_for, language, message):
    in_progress = choice("task_status", "in_progress")
    response = api_for(users["admin"], language).patch(
        f"/api/v1/choices/{in_progress.pk}/", {"extra": {"done": True}}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"extra.closed": [message]}
    assert choice("task_status", "in_progress").extra == {}


def test_a_status_set_to_close_closes_the_tasks_moved_into_it(users, api_for):
    waiting = api_for(users["admin"]).post(
        "/api/v1/choices/",
        {
            "list_key": "task_status",
            "value": "waived",
            "label_he": "ויתור",
            "extra": {"closed": True},
        },
        format="json",
    )
    assert waiting.status_code == 201, waiting.content
    rep = users["sales_rep"]
    task = make_task(rep, make_account(rep))
    body = (
        api_for(rep)
        .patch(f"/api/v1/tasks/{task.pk}/", {"status": waiting.json()["id"]}, format="json")
        .json()
    )
    assert body["is_open"] is False
    assert body["closed_at"] is not None


def test_the_pick_list_pages_show_each_lists_own_settings(users, client_for):
    client = client_for(users["admin"])
    task_type = client.get(f"/r/choices/{choice('task_type', 'call_back').pk}/edit/")
    page = task_type.content.decode()
    assert 'name="extra.sla_hours"' in page
    assert 'value="4"' in page
    assert 'name="extra.closed"' not in page
    status = client.get(f"/r/choices/{choice('task_status', 'done').pk}/edit/").content.decode()
    assert 'name="extra.closed"' in status
    assert 'name="extra.done"' in status
    assert 'name="extra.sla_hours"' not in status
    kind = client.get(f"/r/choices/{choice('interaction_kind', 'call').pk}/edit/").content
    assert b'name="extra.sla_hours"' not in kind
    assert b'name="extra.closed"' not in kind
    shown = client.get(f"/r/choices/{choice('task_type', 'call_back').pk}/").content.decode()
    assert "שעות SLA" in shown

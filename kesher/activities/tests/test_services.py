"""Interactions and tasks through their services (REQ CU-3, TK-1 … TK-4)."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from kesher.activities.models import Interaction, Notification, Task
from kesher.activities.services import task_delegate, task_update
from kesher.activities.tests.factories import choice, make_interaction, make_task
from kesher.customers.tests.factories import make_account, make_contact
from kesher.platform.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_interaction_create_writes_audit_and_moves_last_contact(users):
    """REQ CU-3: logging a call updates the account's and participants' last contact date."""
    rep = users["sales_rep"]
    account = make_account(rep)
    contact = make_contact(rep, first_name="דנה")
    when = timezone.now() - datetime.timedelta(hours=1)
    interaction = make_interaction(
        rep, account, occurred_at=when, m2m={"participant_contacts": [contact]}
    )
    assert interaction.owner == rep
    assert (
        AuditEntry.objects.filter(
            object_id=interaction.pk, action="create", object_repr=interaction.subject
        ).count()
        == 1
    )
    account.refresh_from_db()
    contact.refresh_from_db()
    assert account.last_contact_at == when
    assert contact.last_contact_at == when
    # An older interaction logged later does not move the date back.
    make_interaction(rep, account, occurred_at=when - datetime.timedelta(days=3))
    account.refresh_from_db()
    assert account.last_contact_at == when


def test_planned_meeting_does_not_count_as_contact(users):
    rep = users["sales_rep"]
    account = make_account(rep)
    make_interaction(
        rep,
        account,
        kind=choice("interaction_kind", "meeting"),
        occurred_at=timezone.now() + datetime.timedelta(days=2),
    )
    account.refresh_from_db()
    assert account.last_contact_at is None


def test_link_to_record_out_of_scope_is_refused(users):
    """A link to a record the actor cannot see → field error, nothing written."""
    other = make_account(users["sales_rep2"])
    with pytest.raises(ValidationError) as exc:
        make_interaction(users["sales_rep"], other)
    assert "link_id" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        make_interaction(users["sales_rep"], link_type="users", link_id=users["admin"].pk)
    assert "link_type" in exc.value.message_dict
    with pytest.raises(ValidationError):
        make_interaction(users["sales_rep"], link_type="accounts", link_id="abc")
    assert not Interaction.objects.exists()


def test_bad_kind_and_long_subject(users):
    rep = users["sales_rep"]
    with pytest.raises(ValidationError) as exc:
        make_interaction(rep, kind=choice("task_priority", "low"), subject="x" * 500)
    assert {"kind", "subject"} <= set(exc.value.message_dict)
    assert not Interaction.objects.exists()


def test_task_defaults_sla_and_delegation(users):
    """REQ TK-3, TK-4: assigning a task to another user delegates it; the SLA due time is the
    type's hours on the business calendar."""
    manager, rep = users["manager"], users["sales_rep"]
    task = make_task(manager, task_type=choice("task_type", "call_back"), assignee=rep)
    assert task.status.value == "open"
    assert task.is_open
    assert task.created_by == manager
    assert task.delegated_by == manager
    assert task.sla_due_at is not None
    assert task.sla_due_at > task.created_at
    assert Notification.objects.filter(user=rep, verb="assigned").count() == 1
    own = make_task(rep)
    assert own.assignee == rep
    assert own.delegated_by is None
    assert own.sla_due_at is None


def test_done_notifies_delegator_once(users):
    manager, rep = users["manager"], users["sales_rep"]
    task = make_task(manager, assignee=rep)
    task_update(task, actor=rep, data={"status": choice("task_status", "done")})
    task.refresh_from_db()
    assert not task.is_open
    assert task.closed_at is not None
    notes = Notification.objects.filter(user=manager, verb="done")
    assert notes.count() == 1
    assert "להתקשר" in notes.get().display_text
    # Saving the closed task again does not notify again.
    task_update(task, actor=rep, data={"notes": "עודכן"})
    assert notes.count() == 1


def test_delegate_later(users):
    rep, rep2 = users["sales_rep"], users["sales_rep2"]
    task = make_task(rep)
    task = task_delegate(task, actor=rep, assignee=rep2)
    assert task.assignee == rep2
    assert task.delegated_by == rep


def test_parent_closes_when_all_subtasks_done(users):
    """REQ TK-2."""
    rep = users["sales_rep"]
    parent = make_task(rep, title="אב", close_with_subtasks=True)
    first = make_task(rep, title="תת 1", parent=parent)
    second = make_task(rep, title="תת 2", parent=parent)
    done = choice("task_status", "done")
    task_update(first, actor=rep, data={"status": done})
    parent.refresh_from_db()
    assert parent.is_open
    task_update(second, actor=rep, data={"status": done})
    parent.refresh_from_db()
    assert not parent.is_open
    assert parent.status.value == "done"


def test_parent_without_flag_stays_open(users):
    rep = users["sales_rep"]
    parent = make_task(rep, title="אב")
    child = make_task(rep, title="תת", parent=parent)
    task_update(child, actor=rep, data={"status": choice("task_status", "done")})
    parent.refresh_from_db()
    assert parent.is_open


def test_subtask_of_task_out_of_scope_is_refused(users):
    other = make_task(users["sales_rep2"])
    with pytest.raises(ValidationError) as exc:
        make_task(users["sales_rep"], parent=other)
    assert "parent" in exc.value.message_dict


def test_task_cannot_be_its_own_ancestor(users):
    rep = users["sales_rep"]
    parent = make_task(rep)
    child = make_task(rep, parent=parent)
    with pytest.raises(ValidationError):
        task_update(parent, actor=rep, data={"parent": child})


def test_recurring_task_creates_next_once(users):
    rep = users["sales_rep"]
    due = timezone.now() + datetime.timedelta(days=1)
    task = make_task(rep, recurrence="weekly", due_at=due)
    task_update(task, actor=rep, data={"status": choice("task_status", "done")})
    follow = Task.objects.exclude(pk=task.pk).get()
    assert follow.is_open
    assert follow.due_at == due + datetime.timedelta(weeks=1)
    assert follow.recurrence == "weekly"
    task_update(task, actor=rep, data={"status": choice("task_status", "done")})
    assert Task.objects.count() == 2


def test_reminder_in_the_past_is_refused_after_due_is_allowed(users):
    """Decision: a past reminder on create is a mistake → clear error; after due is fine."""
    rep = users["sales_rep"]
    with pytest.raises(ValidationError) as exc:
        make_task(rep, reminder_at=timezone.now() - datetime.timedelta(hours=2))
    assert "reminder_at" in exc.value.message_dict
    due = timezone.now() + datetime.timedelta(hours=1)
    task = make_task(rep, due_at=due, reminder_at=due + datetime.timedelta(hours=1))
    assert task.reminder_at > task.due_at


def test_changing_reminder_rearms_it(users):
    rep = users["sales_rep"]
    task = make_task(rep, reminder_at=timezone.now() + datetime.timedelta(hours=1))
    Task.objects.filter(pk=task.pk).update(reminder_sent_at=timezone.now())
    task_update(task, actor=rep, data={"reminder_at": timezone.now() + datetime.timedelta(hours=3)})
    task.refresh_from_db()
    assert task.reminder_sent_at is None

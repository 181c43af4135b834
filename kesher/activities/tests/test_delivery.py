"""Reminders, overdue and SLA notices from the worker tick, exactly once (REQ TK-1, TK-3)."""

import datetime

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from kesher.activities.delivery import claim, deliver_due
from kesher.activities.models import Notification, Task
from kesher.activities.tests.factories import choice, make_task

pytestmark = pytest.mark.django_db


def _due_reminder(users):
    task = make_task(users["sales_rep"], reminder_at=timezone.now() + datetime.timedelta(minutes=5))
    return task


def test_due_reminder_is_delivered_once(users):
    task = _due_reminder(users)
    later = timezone.now() + datetime.timedelta(minutes=10)
    assert deliver_due(later) == 1
    assert deliver_due(later) == 0
    note = Notification.objects.get(user=users["sales_rep"], verb="reminder")
    assert note.link_type == "tasks"
    assert note.link_id == task.pk
    assert note.emailed_at
    assert len(mail.outbox) == 1
    assert users["sales_rep"].email in mail.outbox[0].to


def test_not_yet_due_and_closed_tasks_are_left(users):
    task = _due_reminder(users)
    assert deliver_due(timezone.now()) == 0
    Task.objects.filter(pk=task.pk).update(is_open=False)
    assert deliver_due(timezone.now() + datetime.timedelta(hours=1)) == 0


def test_two_claims_deliver_once(users):
    """Two workers claiming the same moment: the second gets nothing the first took."""
    _due_reminder(users)
    _due_reminder(users)
    later = timezone.now() + datetime.timedelta(minutes=10)
    with transaction.atomic():
        first = claim("reminder", later)
    with transaction.atomic():
        second = claim("reminder", later)
    assert len(first) == 2
    assert second == []


def test_killed_worker_leaves_rows_for_the_next(users):
    """A worker that dies before committing its claim leaves the rows to the next tick."""
    _due_reminder(users)
    later = timezone.now() + datetime.timedelta(minutes=10)
    claimed = []

    def killed_mid_run():
        with transaction.atomic():
            claimed.extend(claim("reminder", later))
            raise RuntimeError("killed")

    with pytest.raises(RuntimeError, match="killed"):
        killed_mid_run()
    assert len(claimed) == 1
    assert deliver_due(later) == 1
    assert Notification.objects.filter(verb="reminder").count() == 1


def test_overdue_and_sla_reach_the_delegator(users):
    """REQ TK-3: the delegator follows: overdue and SLA notices reach him as well."""
    manager, rep = users["manager"], users["sales_rep"]
    task = make_task(
        manager,
        assignee=rep,
        task_type=choice("task_type", "call_back"),
        due_at=timezone.now() + datetime.timedelta(hours=1),
    )
    far = max(task.due_at, task.sla_due_at) + datetime.timedelta(minutes=1)
    deliver_due(far)
    assert set(Notification.objects.filter(verb="overdue").values_list("user", flat=True)) == {
        manager.pk,
        rep.pk,
    }
    assert Notification.objects.filter(verb="sla").count() == 2
    deliver_due(far)
    assert Notification.objects.filter(verb__in=["overdue", "sla"]).count() == 4

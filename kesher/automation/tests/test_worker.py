"""Reliability: two workers never run the same run; a worker killed mid-action loses nothing
and repeats nothing; a failing action retries with back-off and stays visible as failed; a
rule that errors never blocks the user's save (issue 5 item 8)."""

import dataclasses
import datetime
import threading
from unittest import mock

import pytest
from django.db import connection, transaction
from django.utils import timezone

from kesher.activities.models import Task
from kesher.automation import actions
from kesher.automation.models import RuleActionResult, RuleRun
from kesher.automation.services import rule_create
from kesher.automation.worker import LEASE, claim_runs, execute_run, process_due
from kesher.customers.models import Account
from kesher.customers.services import account_update
from kesher.customers.tests.factories import make_account

pytestmark = pytest.mark.django_db


def matched_runs(users, call_template, django_capture_on_commit_callbacks, n=3):
    rule_create(
        actor=users["admin"],
        data={
            "name": "on create",
            "entity": "accounts",
            "trigger_kind": "created",
            "actions": [
                {"type": "create_task", "template": call_template.pk},
                {"type": "add_tag", "tag": "welcomed"},
            ],
        },
    )
    with django_capture_on_commit_callbacks(execute=True):
        accounts = [
            make_account(users["admin"], name=f"R{i}", owner=users["admin"]) for i in range(n)
        ]
    return accounts


def test_two_claims_take_different_runs(users, call_template, django_capture_on_commit_callbacks):
    matched_runs(users, call_template, django_capture_on_commit_callbacks)
    first = claim_runs(limit=2)
    second = claim_runs(limit=2)
    assert len(first) == 2
    assert len(second) == 1
    assert not set(first) & set(second)
    assert claim_runs() == []


@pytest.mark.django_db(transaction=True)
def test_two_worker_threads_run_each_action_once(users, call_template):
    """Two workers at once (threads with their own connections): every run done, once."""
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serializes writers; the claim is covered by the test above")
    from kesher.automation.engine import invalidate_rules

    rule_create(
        actor=users["admin"],
        data={
            "name": "on create",
            "entity": "accounts",
            "trigger_kind": "created",
            "actions": [{"type": "create_task", "template": call_template.pk}],
        },
    )
    invalidate_rules()
    with mock.patch("kesher.automation.engine._start_worker"):
        for i in range(20):
            make_account(users["admin"], name=f"T{i}", owner=users["admin"])
    assert RuleRun.objects.count() == 20

    def work():
        try:
            process_due(limit=3)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(RuleRun.objects.values_list("status", flat=True)) == {"done"}
    assert Task.objects.count() == 20


def test_killed_mid_action_loses_nothing_and_repeats_nothing(
    users, call_template, django_capture_on_commit_callbacks
):
    """kill -9 during the second action: the first stays done, the second left no trace;
    once the lease ends another worker finishes the run without repeating the first."""
    (account,) = matched_runs(users, call_template, django_capture_on_commit_callbacks, n=1)
    (run_id,) = claim_runs()
    real_run = actions.action_for("add_tag").run

    def dies(context, config):
        real_run(context, config)
        raise SystemExit("kill -9")  # the process ends inside the action's transaction

    dying = dataclasses.replace(actions.action_for("add_tag"), run=dies)
    with mock.patch.dict(actions._actions, {"add_tag": dying}), pytest.raises(SystemExit):
        execute_run(run_id)
    assert Task.objects.count() == 1
    assert not account.tags.exists()
    assert RuleRun.objects.get(pk=run_id).status == "running"
    assert claim_runs() == []  # still leased to the dead worker
    later = timezone.now() + LEASE + datetime.timedelta(seconds=1)
    assert claim_runs(now=later) == [run_id]
    assert execute_run(run_id) == "done"
    assert Task.objects.count() == 1
    assert [t.name for t in account.tags.all()] == ["welcomed"]
    assert list(RuleActionResult.objects.values_list("outcome", "attempts")) == [
        ("done", 1),
        ("done", 1),
    ]


def test_failing_action_retries_with_back_off_then_stays_failed(
    users, call_template, django_capture_on_commit_callbacks, settings
):
    settings.KESHER_AUTOMATION_MAX_ATTEMPTS = 3
    call_template.assignee_rule = "user"
    call_template.assignee_user = users["sales_rep2"]  # may not see the admin's account
    call_template.save()
    matched_runs(users, call_template, django_capture_on_commit_callbacks, n=1)
    now = timezone.now()
    assert process_due(now=now) == 1
    run = RuleRun.objects.get()
    assert run.status == "pending"
    assert run.next_attempt_at > now
    assert run.error.startswith("assignee_rule: ")  # nobody who may see the record
    assert process_due(now=now) == 0  # waits for its back-off
    for attempt in range(2):
        process_due(now=timezone.now() + datetime.timedelta(hours=2 * (attempt + 1)))
    run.refresh_from_db()
    result = run.results.get(index=0)
    assert (run.status, result.outcome, result.attempts) == ("failed", "failed", 3)
    assert not run.results.filter(index=1).exists()  # later actions wait for the failed one


def test_a_broken_rule_never_blocks_the_save(
    users, call_template, django_capture_on_commit_callbacks
):
    matched_runs(users, call_template, django_capture_on_commit_callbacks, n=0)
    account = make_account(users["admin"], name="S")
    with (
        mock.patch("kesher.automation.engine.record_matches", side_effect=RuntimeError("boom")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        account_update(account, actor=users["admin"], data={"name": "S2"})
    assert Account.objects.get(pk=account.pk).name == "S2"
    with transaction.atomic():
        assert Account.objects.filter(name="S2").exists()

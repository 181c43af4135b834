"""Running rules in the worker, once (issue 5 item 8).

A worker claims due runs with one UPDATE … RETURNING (on PostgreSQL the candidates are picked
``FOR UPDATE SKIP LOCKED``), so two workers never take the same run; a claim is a lease, and a
run whose worker died (``kill -9``) is taken over when the lease ends. Each action runs in one
transaction together with its result row, which is locked first: an action whose result says
done is never run again, and a worker killed mid-action leaves neither its writes nor its
result. A failing action is retried with exponential back-off, then the run stays failed with
the error for everyone to see.
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from kesher.automation.actions import ActionContext, action_for, with_answers
from kesher.automation.engine import acting_as
from kesher.automation.models import RuleActionResult, RuleRun
from kesher.platform.claims import claim_ids
from kesher.platform.registry import registry

__all__ = [
    "claim_runs",
    "error_message",
    "execute_run",
    "process_due",
    "resume_runs",
    "run_pending",
]

logger = logging.getLogger("kesher.automation")
BATCH = 50
LEASE = datetime.timedelta(minutes=5)


def max_attempts() -> int:
    return getattr(settings, "KESHER_AUTOMATION_MAX_ATTEMPTS", 5)


def backoff(attempts: int) -> datetime.timedelta:
    """30 s, 1 min, 2 min … at most an hour before the next attempt."""
    return datetime.timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def claim_runs(limit: int = BATCH, now=None) -> list[int]:
    """Take up to ``limit`` due runs (waiting, or running with an expired lease) and return
    their ids; a run another worker holds is not returned."""
    now = now or timezone.now()
    due = (
        "status IN ('pending', 'running') AND next_attempt_at <= %s"
        " AND (status = 'pending' OR lease_until < %s)"
    )
    with transaction.atomic():
        return claim_ids(
            RuleRun._meta.db_table,
            due=due,
            due_params=[now, now],
            order="next_attempt_at",
            limit=limit,
            mark="status = 'running', lease_until = %s, started_at = COALESCE(started_at, %s)",
            mark_params=[now + LEASE, now],
        )


def error_message(error: Exception) -> str:
    if isinstance(error, ValidationError):
        if hasattr(error, "error_dict"):
            return "; ".join(
                f"{key}: {' '.join(messages)}" for key, messages in error.message_dict.items()
            )
        return " ".join(error.messages)
    return f"{type(error).__name__}: {error}"[:2000]


def _finish(run: RuleRun, status: str, error: str = "") -> None:
    RuleRun.objects.filter(pk=run.pk).update(
        status=status, error=error, finished_at=timezone.now(), lease_until=None
    )


def _run_action(run: RuleRun, record, index: int, config: dict) -> None:
    """One action and its result row, in one transaction; raises when the action fails."""
    action = action_for(config.get("type"))
    with transaction.atomic():
        # Lock the result: a worker that took over an expired lease waits here, then sees
        # "done" and runs nothing twice.
        result, _created = RuleActionResult.objects.select_for_update().get_or_create(
            run=run, index=index, defaults={"action_type": config.get("type", "")}
        )
        if result.outcome == RuleActionResult.Outcome.DONE:
            return
        if action is None:
            raise ValidationError({"type": ["unknown action type"]})
        settings_ = {k: v for k, v in config.items() if k != "type"}
        # A button's answers fill its merge fields (decision 0108).
        settings_ = with_answers(settings_, (run.trigger_info or {}).get("answers"))
        context = ActionContext(rule=run.rule, run=run, record=record, index=index)
        with acting_as(run):
            detail = action.run(context, settings_)
        result.outcome = RuleActionResult.Outcome.DONE
        result.detail = detail or {}
        result.error = ""
        result.attempts += 1
        result.updated_at = timezone.now()
        result.save(update_fields=["outcome", "detail", "error", "attempts", "updated_at"])


def _record_failure(run: RuleRun, index: int, config: dict, error: Exception) -> None:
    message = error_message(error)
    with transaction.atomic():
        result, _created = RuleActionResult.objects.select_for_update().get_or_create(
            run=run, index=index, defaults={"action_type": config.get("type", "")}
        )
        result.outcome = RuleActionResult.Outcome.FAILED
        result.error = message
        result.attempts += 1
        result.updated_at = timezone.now()
        result.save(update_fields=["outcome", "error", "attempts", "updated_at"])
        if result.attempts >= max_attempts():
            _finish(run, RuleRun.Status.FAILED, message)
        else:
            RuleRun.objects.filter(pk=run.pk).update(
                status=RuleRun.Status.PENDING,
                error=message,
                lease_until=None,
                next_attempt_at=timezone.now() + backoff(result.attempts),
            )


def execute_run(run_id: int) -> str:
    """Run a claimed run's actions in order, from the first not done; returns its status."""
    run = RuleRun.objects.select_related("rule").get(pk=run_id)
    if not run.rule.enabled:
        _finish(run, RuleRun.Status.STOPPED, "The rule was disabled before it ran.")
        return RuleRun.Status.STOPPED
    model = registry.get(run.entity).model
    record = model._base_manager.filter(pk=run.record_id).first()
    if record is None:
        _finish(run, RuleRun.Status.FAILED, "The record no longer exists.")
        return RuleRun.Status.FAILED
    for index, config in enumerate(run.actions):
        try:
            _run_action(run, record, index, config)
        except Exception as error:
            # The action's writes were rolled back with its transaction; the run waits for
            # its next attempt (or fails for good), and the user's save was never touched.
            logger.warning("automation run %s action %s failed: %s", run.pk, index, error)
            _record_failure(run, index, config, error)
            return RuleRun.objects.values_list("status", flat=True).get(pk=run.pk)
        record.refresh_from_db()
    _finish(run, RuleRun.Status.DONE)
    return RuleRun.Status.DONE


def process_due(limit: int = BATCH, now=None) -> int:
    """Claim and run due runs until none are left (or ``limit`` per claim); returns how many."""
    done = 0
    while True:
        ids = claim_runs(limit, now)
        for run_id in ids:
            try:
                execute_run(run_id)
            except Exception:
                logger.exception("automation run %s crashed", run_id)
        done += len(ids)
        if len(ids) < limit:
            return done


@task()
def run_pending() -> None:
    """The worker task a matching event queues."""
    process_due()


def resume_runs() -> None:
    """Every tick: runs whose retry time came, and runs a dead worker left behind."""
    process_due()

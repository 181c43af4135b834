""" "Not contacted for X days" (REQ CU-9; issue 4 item 7): one click creates a call-back task for
each listed account's owner, in the worker, with progress.

Idempotent by design: an account that already has an open call-back task (from an earlier
run or made by hand) gets none, so running it twice — or a worker that dies and is run again
— creates no duplicates. The accounts are those the person who asked may see, with the list's
filters, read again when the run starts.
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from kesher.activities.models import CallbackRun, Task
from kesher.activities.selectors import not_contacted
from kesher.activities.services import task_create
from kesher.platform.access import can
from kesher.platform.models import Choice

__all__ = ["callback_run", "callback_start", "resume_stalled_runs", "run_callbacks"]

logger = logging.getLogger("kesher.activities")
Status = CallbackRun.Status
CALL_BACK = "call_back"
PROGRESS_EVERY = 100
MAX_DAYS = 3650
INLINE_LIMIT = 50
STALLED_AFTER = datetime.timedelta(minutes=15)


def clean_filters(data) -> tuple[int, dict]:
    """``days`` (1 … 3650) and the list's filters from a query string or a JSON body; a
    ValidationError naming the field otherwise."""
    if not hasattr(data, "get"):
        raise ValidationError({"days": [_("Send the run's settings as an object.")]})
    try:
        days = int(data.get("days") or 90)
    except (TypeError, ValueError):
        raise ValidationError({"days": [_("Enter a whole number of days.")]}) from None
    if not 1 <= days <= MAX_DAYS:
        raise ValidationError(
            {"days": [_("Enter a number of days between 1 and %(max)s.") % {"max": MAX_DAYS}]}
        )
    filters = {}
    for name in ("owner", "status"):
        value = data.get(name)
        if value in (None, ""):
            continue
        try:
            filters[name] = int(value)
        except (TypeError, ValueError):
            raise ValidationError({name: [_("Choose a value from the list.")]}) from None
        if isinstance(value, bool) or not 0 < filters[name] < 2**63:
            raise ValidationError({name: [_("Choose a value from the list.")]})
    city = data.get("city") or ""
    if not isinstance(city, str):
        raise ValidationError({"city": [_("Enter the city as text.")]})
    city = city.strip()[:100]
    if city:
        filters["city"] = city
    return days, filters


def callback_start(*, actor, days: int, filters: dict) -> CallbackRun:
    """Record a run and start it: here when the list is short, else in the worker."""
    if not can(actor, "tasks", "add"):
        raise PermissionDenied(_("You may not create tasks."))
    total = not_contacted(actor, days, **filters).count()
    run = CallbackRun.objects.create(actor=actor, days=days, filters=filters, total=total)
    if total <= INLINE_LIMIT:
        callback_run(run.pk)
        run.refresh_from_db()
    else:
        transaction.on_commit(lambda: run_callbacks.enqueue(run.pk))
    return run


@task()
def run_callbacks(run_id: int) -> None:
    """The worker's side of a run (safe to run twice)."""
    callback_run(run_id)


def callback_run(run_id: int) -> None:
    run = CallbackRun.objects.select_related("actor").filter(pk=run_id).first()
    if run is None or run.status == Status.DONE or run.actor is None:
        return
    with translation.override(getattr(run.actor, "language", "") or settings.LANGUAGE_CODE):
        try:
            _run(run)
        except Exception:
            CallbackRun.objects.filter(pk=run_id).update(
                status=Status.FAILED,
                error=_("The run stopped on an unexpected error."),
                finished_at=timezone.now(),
            )
            raise


def _run(run: CallbackRun) -> None:
    actor = run.actor
    accounts = not_contacted(actor, run.days, **run.filters)
    total = accounts.count()
    CallbackRun.objects.filter(pk=run.pk).update(
        status=Status.RUNNING, total=total, done=0, updated_at=timezone.now()
    )
    task_type = Choice.objects.filter(list_key="task_type", value=CALL_BACK).first()
    due = timezone.now() + datetime.timedelta(days=1)
    done = created = 0
    # Keyset over ids: the accounts change (last contact moves) while the run goes on.
    last_id = 0
    while True:
        batch = list(accounts.filter(pk__gt=last_id).order_by("pk")[:PROGRESS_EVERY])
        if not batch:
            break
        last_id = batch[-1].pk
        created += _create_tasks(actor, batch, task_type, due, run.days)
        done += len(batch)
        CallbackRun.objects.filter(pk=run.pk).update(
            done=done, created=created, updated_at=timezone.now()
        )
    now = timezone.now()
    CallbackRun.objects.filter(pk=run.pk).update(
        status=Status.DONE, done=done, created=created, finished_at=now, updated_at=now
    )


def resume_stalled_runs(now=None) -> list[int]:
    """Start again the runs whose worker stopped (no progress for ``STALLED_AFTER``); a run
    repeated creates no duplicates. Runs on every worker tick."""
    now = now or timezone.now()
    stalled = list(
        CallbackRun.objects.filter(
            status__in=(Status.QUEUED, Status.RUNNING), updated_at__lt=now - STALLED_AFTER
        ).values_list("pk", flat=True)[:20]
    )
    for run_id in stalled:
        # Touched first, so the next tick does not queue it again while this one waits.
        if CallbackRun.objects.filter(pk=run_id, updated_at__lt=now - STALLED_AFTER).update(
            updated_at=now
        ):
            run_callbacks.enqueue(run_id)
    return stalled


def _create_tasks(actor, accounts: list, task_type, due, days: int) -> int:
    """One call-back task per account without an open one, assigned to its owner. The account
    row is locked while it is checked, so two runs at once cannot both create its task."""
    from kesher.customers.models import Account

    open_callbacks = Task.objects.filter(link_type="accounts", is_open=True, task_type=task_type)
    skip = set(
        open_callbacks.filter(link_id__in=[a.pk for a in accounts]).values_list(
            "link_id", flat=True
        )
    )
    made = 0
    for account in accounts:
        if account.pk in skip:
            continue
        with transaction.atomic():
            Account.objects.select_for_update().filter(pk=account.pk).first()
            if open_callbacks.filter(link_id=account.pk).exists():
                continue
            owner = account.owner if account.owner_id and account.owner.is_active else actor
            task_create(
                actor=actor,
                data={
                    "title": _("Call back: %(name)s (no contact for %(days)s days)")
                    % {"name": account.name, "days": days},
                    "task_type": task_type,
                    "due_at": due,
                    "assignee": owner,
                    "link_type": "accounts",
                    "link_id": account.pk,
                },
            )
        made += 1
    return made

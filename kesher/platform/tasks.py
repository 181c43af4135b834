"""The worker's periodic tick: records a heartbeat, runs periodic jobs, schedules the next tick.

django-tasks has no scheduler; a tick re-enqueues itself with ``run_after``. Modules add work
to every tick with ``on_tick``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from kesher.platform.models import WorkerHeartbeat
from kesher.platform.registry import registry

__all__ = ["beat", "on_tick", "schedule_next_tick", "tick"]

logger = logging.getLogger("kesher.worker")
_periodic: list[Callable[[], object]] = []
Job = TypeVar("Job", bound=Callable[[], object])


def on_tick(job: Job) -> Job:
    """Run ``job()`` on every worker tick (it must be quick and idempotent)."""
    _periodic.append(job)
    return job


def beat(now=None) -> bool:
    """Record the heartbeat; False when another tick ran less than half an interval ago."""
    now = now or timezone.now()
    with transaction.atomic():
        row, created = WorkerHeartbeat.objects.select_for_update().get_or_create(
            name="tick", defaults={"last_seen": now}
        )
        if not created and now - row.last_seen < timedelta(
            seconds=settings.KESHER_TICK_SECONDS / 2
        ):
            return False
        row.last_seen = now
        row.save(update_fields=["last_seen"])
    return True


@task()
def tick() -> None:
    if not beat():
        # Another tick chain ran moments ago (e.g. the server was restarted): let this one end.
        return
    registry.refresh()  # entities administrators defined since the last tick
    for job in _periodic:
        try:
            job()
        except Exception:
            # One module's failing job must not stop the others or the tick chain.
            logger.exception("periodic job %r failed", job)
    schedule_next_tick()


def schedule_next_tick() -> None:
    tick.using(run_after=timezone.now() + timedelta(seconds=settings.KESHER_TICK_SECONDS)).enqueue()

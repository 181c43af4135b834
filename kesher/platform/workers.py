"""Workers that die are noticed (issue 24 item 6): each worker started with ``manage.py worker``
renews a lease — its ``WorkerHeartbeat`` row ``worker:<id>`` — every few seconds from a thread
beside its task loop. A worker whose lease ran out (``kill -9``, a lost machine) is dead: on the
next tick its tasks still marked running are marked failed ("the worker stopped"), never left
running, and the jobs they carried (imports, bulk updates) are taken up again from their cursor
by their own resumers. A worker stopped gracefully gives its lease back.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from kesher.platform.models import WorkerHeartbeat
from kesher.platform.tasks import on_tick

__all__ = ["Lease", "WorkerDied", "recover_dead_workers", "renew_lease"]

logger = logging.getLogger("kesher.worker")
PREFIX = "worker:"


class WorkerDied(Exception):
    """What a task whose worker stopped in the middle of it is marked as failing with."""


def _lease_name(worker_id: str) -> str:
    return f"{PREFIX}{worker_id}"[:40]


def renew_lease(worker_id: str, now=None) -> None:
    WorkerHeartbeat.objects.update_or_create(
        name=_lease_name(worker_id), defaults={"last_seen": now or timezone.now()}
    )


class Lease:
    """The lease of one worker process, renewed by a daemon thread until ``release``."""

    def __init__(self, worker_id: str, every: float | None = None):
        self.worker_id = worker_id
        self.every = every or settings.KESHER_WORKER_LEASE_SECONDS / 3
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._renew, name="kesher-lease", daemon=True)

    def start(self) -> Lease:
        renew_lease(self.worker_id)
        self._thread.start()
        return self

    def _renew(self) -> None:
        while not self._stop.wait(self.every):
            try:
                renew_lease(self.worker_id)
            except Exception:
                # A locked or briefly unreachable database: the next renewal tries again.
                logger.warning("worker %s could not renew its lease", self.worker_id)
            finally:
                close_old_connections()
        connection.close()

    def release(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        WorkerHeartbeat.objects.filter(name=_lease_name(self.worker_id)).delete()


@on_tick
def recover_dead_workers(now=None) -> list[str]:
    """Mark the running tasks of workers whose lease ran out as failed; return those workers."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.KESHER_WORKER_LEASE_SECONDS)
    dead = list(
        WorkerHeartbeat.objects.filter(name__startswith=PREFIX, last_seen__lt=cutoff).values_list(
            "name", flat=True
        )
    )
    for name in dead:
        worker_id = name.removeprefix(PREFIX)
        with transaction.atomic():
            running = DBTaskResult.objects.select_for_update().filter(status="RUNNING")
            for result in running:
                if result.worker_ids and result.worker_ids[-1].startswith(worker_id):
                    result.status = "FAILED"
                    result.finished_at = now
                    result.exception_class_path = f"{__name__}.WorkerDied"
                    result.traceback = (
                        f"The worker {worker_id} stopped while running this task "
                        f"(its lease ended at {cutoff:%Y-%m-%d %H:%M:%S} UTC)."
                    )
                    result.save(
                        update_fields=["status", "finished_at", "exception_class_path", "traceback"]
                    )
                    logger.warning("task %s of dead worker %s marked failed", result.pk, worker_id)
            WorkerHeartbeat.objects.filter(name=name).delete()
    return [name.removeprefix(PREFIX) for name in dead]

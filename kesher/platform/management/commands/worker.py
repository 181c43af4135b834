"""``manage.py worker``: django-tasks-db's ``db_worker`` with a lease (``kesher.platform.workers``)
and a tick queued at start, so a worker that replaces a dead one restarts the tick chain the
dead one may have broken (``tick`` ends itself when another ran moments ago)."""

from __future__ import annotations

from django_tasks_db.management.commands import db_worker

from kesher.platform.tasks import tick
from kesher.platform.workers import Lease


class Command(db_worker.Command):
    help = "Run the task worker, renewing its lease so a dead worker's tasks are noticed."

    def handle(self, *args, worker_id: str, **options):
        lease = Lease(worker_id).start()
        try:
            tick.enqueue()
            return super().handle(*args, worker_id=worker_id, **options)
        finally:
            lease.release()

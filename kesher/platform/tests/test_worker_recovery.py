"""Crash recovery (issue 24 item 6): a worker renews a lease; one whose lease ran out is dead and
its running tasks are marked failed on the next tick, never left "running"; running jobs silent
for 40 s are taken up again from their cursor, queued ones wait longer; ``serve`` starts a
dead process again and gives up on one that cannot stay up."""

import sys
import threading
import uuid
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from kesher.customers.tests.factories import make_account
from kesher.imports.models import ImportJob
from kesher.imports.services import resume_stalled
from kesher.operations.supervise import Child, Supervisor
from kesher.platform.bulk import actions as bulk
from kesher.platform.models import BulkJob, WorkerHeartbeat
from kesher.platform.workers import Lease, recover_dead_workers, renew_lease

pytestmark = pytest.mark.django_db


def running_task(worker_id: str) -> DBTaskResult:
    return DBTaskResult.objects.create(
        id=uuid.uuid4(),
        status="RUNNING",
        args_kwargs={"args": [], "kwargs": {}},
        task_path="kesher.imports.tasks.run_import_job",
        worker_ids=[worker_id],
        backend_name="default",
        run_after=timezone.now(),
        started_at=timezone.now(),
    )


def test_a_dead_workers_running_tasks_are_marked_failed(settings):
    settings.KESHER_WORKER_LEASE_SECONDS = 20
    now = timezone.now()
    renew_lease("dead", now=now - timedelta(seconds=25))
    renew_lease("alive", now=now - timedelta(seconds=5))
    orphan, busy = running_task("dead"), running_task("alive")
    unknown = running_task("never-leased")  # a plain db_worker: nothing is known of it
    assert recover_dead_workers(now=now) == ["dead"]
    orphan.refresh_from_db()
    assert orphan.status == "FAILED"
    assert orphan.finished_at == now
    assert orphan.exception_class_path == "kesher.platform.workers.WorkerDied"
    assert "stopped while running" in orphan.traceback
    for kept in (busy, unknown):
        kept.refresh_from_db()
        assert kept.status == "RUNNING"
    assert not WorkerHeartbeat.objects.filter(name="worker:dead").exists()
    assert recover_dead_workers(now=now) == []


@pytest.mark.django_db(transaction=True)  # the lease thread writes through its own connection
def test_a_lease_is_renewed_while_held_and_given_back(monkeypatch):
    # The renewing thread is watched through the function it calls: a second connection writing
    # beside the test's transaction would lock SQLite's shared in-memory test database.
    renew_lease("w1")
    renewals = threading.Semaphore(0)
    monkeypatch.setattr("kesher.platform.workers.renew_lease", lambda worker_id: renewals.release())
    lease = Lease("w1", every=0.02).start()
    try:
        assert all(renewals.acquire(timeout=5) for _ in range(3))  # at start, then each 0.02 s
    finally:
        lease.release()
    assert not lease._thread.is_alive()
    assert not WorkerHeartbeat.objects.filter(name="worker:w1").exists()


def _import_job(admin, status: str, silent_for: timedelta) -> ImportJob:
    return ImportJob.objects.create(
        entity="accounts",
        actor=admin,
        file="imports/x.csv",
        filename="x.csv",
        file_format="csv",
        status=status,
        heartbeat_at=timezone.now() - silent_for,
    )


def test_running_imports_silent_40_s_resume_queued_ones_wait(users, monkeypatch):
    queued: list[int] = []
    monkeypatch.setattr(
        "kesher.imports.tasks.run_import_job", SimpleNamespace(enqueue=queued.append)
    )
    admin = users["admin"]
    dead = _import_job(admin, "running", timedelta(seconds=45))
    busy = _import_job(admin, "running", timedelta(seconds=10))
    waiting = _import_job(admin, "queued", timedelta(minutes=5))
    forgotten = _import_job(admin, "queued", timedelta(minutes=11))
    resume_stalled()
    assert sorted(queued) == sorted([dead.pk, forgotten.pk])
    dead.refresh_from_db()
    assert dead.status == "queued"  # waits its turn again, under the queued job's patience
    assert busy.status == "running"
    assert waiting.status == "queued"
    queued.clear()
    resume_stalled()
    assert queued == []  # not queued again at every tick


def test_a_running_bulk_job_silent_40_s_resumes_and_finishes(users, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    admin = users["admin"]
    records = [make_account(admin) for _ in range(2)]
    plan = bulk.bulk_prepare(
        "accounts",
        actor=admin,
        action="update",
        field="city",
        value="חיפה",
        ids=[r.pk for r in records],
    )
    job = BulkJob.objects.create(
        entity="accounts",
        action="update",
        params=plan.params,
        target=plan.targets.as_json(),
        actor=admin,
        total=2,
        status="running",
        heartbeat_at=timezone.now() - timedelta(seconds=30),
    )
    bulk.resume_stalled_jobs()
    job.refresh_from_db()
    assert job.status == "running"  # 30 s: still within its lease
    BulkJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(seconds=41))
    bulk.resume_stalled_jobs()
    job.refresh_from_db()
    assert (job.status, job.done) == ("done", 2)


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def _python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_serve_starts_a_dead_worker_again():
    clock = FakeClock()
    web = Child("web server", _python("import time; time.sleep(30)"))
    worker = Child("worker", _python("raise SystemExit(9)"))
    supervisor = Supervisor([web, worker], clock=clock)
    supervisor.start()
    try:
        worker.process.wait(timeout=10)
        clock.now = 60.0  # it ran a minute before dying: a plain restart after 1 s
        assert supervisor.check()
        assert worker.restart_at == 61.0
        assert web.process.poll() is None
        clock.now = 61.0
        assert supervisor.check()
        assert worker.restarts == 1
        assert "worker exited with code 9" in supervisor.log[0]
    finally:
        supervisor.stop(timeout=5)
    assert web.process.poll() is not None  # stopping stops every child


def test_serve_gives_up_on_a_process_that_cannot_stay_up():
    clock = FakeClock()
    web = Child("web server", _python("raise SystemExit(3)"))  # say, the port is taken
    supervisor = Supervisor([web], clock=clock)
    supervisor.start()
    for _ in range(10):
        web.process.wait(timeout=10)
        if not supervisor.check():
            break
        clock.now = web.restart_at or clock.now
        supervisor.check()
    assert supervisor.failed == "web server exited at once 5 times (code 3)"
    assert web.restarts == 4

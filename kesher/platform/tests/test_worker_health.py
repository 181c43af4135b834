"""The worker's tick (heartbeat, periodic jobs, the next tick scheduled) and ``/healthz``, which
reports a worker that never ticked or stopped ticking (REQ OR-7; DESIGN.md "Background work")."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from kesher.platform import tasks
from kesher.platform.models import WorkerHeartbeat

pytestmark = pytest.mark.django_db

TICK_PATH = "kesher.platform.tasks.tick"


@pytest.fixture
def job_runs():
    """A periodic job that counts its runs; removed again after the test."""
    runs: list[int] = []

    def job():
        runs.append(1)

    tasks.on_tick(job)
    yield runs
    tasks._periodic.remove(job)


def queued_ticks():
    return DBTaskResult.objects.filter(task_path=TICK_PATH, status="READY")


def test_tick_records_a_heartbeat_runs_jobs_and_schedules_the_next_tick(settings, job_runs):
    settings.KESHER_TICK_SECONDS = 60
    before = timezone.now()
    tasks.tick.call()
    beat = WorkerHeartbeat.objects.get(name="tick")
    assert before <= beat.last_seen <= timezone.now()
    assert job_runs == [1]
    (next_tick,) = queued_ticks()
    assert (
        before + timedelta(seconds=60)
        <= next_tick.run_after
        <= timezone.now() + timedelta(seconds=60)
    )


def test_second_tick_within_half_an_interval_does_not_run_twice(settings, job_runs):
    settings.KESHER_TICK_SECONDS = 60
    tasks.tick.call()
    first_seen = WorkerHeartbeat.objects.get().last_seen
    tasks.tick.call()
    assert job_runs == [1]
    assert queued_ticks().count() == 1
    assert WorkerHeartbeat.objects.get().last_seen == first_seen


def test_tick_after_half_an_interval_runs_again(settings, job_runs):
    settings.KESHER_TICK_SECONDS = 60
    tasks.tick.call()
    WorkerHeartbeat.objects.update(last_seen=timezone.now() - timedelta(seconds=31))
    tasks.tick.call()
    assert job_runs == [1, 1]
    assert queued_ticks().count() == 2


def test_failing_periodic_job_does_not_stop_the_others_or_the_chain(job_runs, caplog):
    def broken():
        raise RuntimeError("job bug")

    tasks._periodic.insert(0, broken)
    try:
        tasks.tick.call()
    finally:
        tasks._periodic.remove(broken)
    assert job_runs == [1]
    assert queued_ticks().count() == 1
    assert "job bug" in caplog.text


def test_db_worker_runs_an_enqueued_tick(settings, job_runs, monkeypatch):
    settings.KESHER_TICK_SECONDS = 60
    # The worker closes "old" connections between tasks; inside the test's transaction that
    # would close the test's own connection (Django's test client skips it the same way).
    monkeypatch.setattr(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    )
    tasks.tick.enqueue()
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    assert WorkerHeartbeat.objects.filter(name="tick").exists()
    assert job_runs == [1]
    assert DBTaskResult.objects.filter(task_path=TICK_PATH, status="SUCCESSFUL").count() == 1
    # The next tick waits for its time; the batch worker leaves it queued.
    (next_tick,) = queued_ticks()
    assert next_tick.run_after > timezone.now() + timedelta(seconds=50)


# --- /healthz --------------------------------------------------------------------------------


def test_healthz_before_the_first_tick_is_503_never_seen(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"database": "ok", "worker": "never seen"}


def test_healthz_after_a_tick_is_200(client):
    tasks.tick.call()
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert (body["database"], body["worker"]) == ("ok", "ok")
    assert body["worker_last_seen"] == WorkerHeartbeat.objects.get().last_seen.isoformat()


def test_healthz_when_the_worker_stopped_is_503_stale(client, settings):
    settings.KESHER_TICK_SECONDS = 60
    WorkerHeartbeat.objects.create(
        name="tick", last_seen=timezone.now() - timedelta(seconds=60 * 3 + 5)
    )
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["worker"] == "stale"
    WorkerHeartbeat.objects.update(last_seen=timezone.now() - timedelta(seconds=60 * 3 - 5))
    assert client.get("/healthz").status_code == 200


def test_the_kesher_worker_queues_a_tick_holds_a_lease_and_gives_it_back(
    settings, job_runs, monkeypatch
):
    """``manage.py worker`` (issue 24 item 6): it starts the tick chain a dead worker may have
    broken, and its lease is gone once it stops."""
    settings.KESHER_TICK_SECONDS = 60
    monkeypatch.setattr(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    )
    monkeypatch.setattr("kesher.platform.workers.Lease.start", lambda lease: lease)
    monkeypatch.setattr(
        "kesher.platform.workers.Lease.release",
        lambda lease: WorkerHeartbeat.objects.filter(name=f"worker:{lease.worker_id}").delete(),
    )
    call_command(
        "worker", "--batch", "--no-startup-delay", "--no-reload", "--worker-id", "w9", verbosity=0
    )
    assert job_runs == [1]  # the tick it queued ran
    assert DBTaskResult.objects.filter(task_path=TICK_PATH, status="SUCCESSFUL").count() == 1
    assert not WorkerHeartbeat.objects.filter(name__startswith="worker:").exists()


def test_healthz_waits_three_minutes_however_often_the_tick_runs(client, settings):
    """A lone worker busy with a long task cannot tick meanwhile (issue 24 item 6's 20-s tick)."""
    settings.KESHER_TICK_SECONDS = 20
    WorkerHeartbeat.objects.create(name="tick", last_seen=timezone.now() - timedelta(seconds=170))
    assert client.get("/healthz").status_code == 200
    WorkerHeartbeat.objects.update(last_seen=timezone.now() - timedelta(seconds=185))
    assert client.get("/healthz").status_code == 503

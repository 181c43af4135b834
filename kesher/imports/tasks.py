"""The worker's side of imports: run a job (dry run or import), and re-queue stalled ones."""

from __future__ import annotations

from django_tasks import task

from kesher.imports import services
from kesher.platform.tasks import on_tick

__all__ = ["run_import_job", "run_import_undo"]


@task()
def run_import_job(job_id: int) -> None:
    """Run or resume one import job (idempotent: see ``services.run_job``)."""
    services.run_job(job_id)


@task()
def run_import_undo(job_id: int) -> None:
    """Undo one import, or go on with an undo a stopped worker left (``services.run_undo``)."""
    services.run_undo(job_id)


@on_tick
def resume_stalled_imports() -> None:
    services.resume_stalled()

"""Full exports of all data for moving out (REQ IM-5): start one, run it in the worker, find
and read one. Administrators only: an export holds every
record of every user. The zip itself is written by ``kesher.operations.archive``.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from kesher.operations.archive import export_all, total_records
from kesher.operations.models import DataExport
from kesher.platform.access import is_admin
from kesher.platform.tasks import on_tick

__all__ = [
    "data_export_file",
    "data_export_get",
    "data_export_list",
    "data_export_run",
    "data_export_start",
    "export_dir",
    "run_data_export",
]

logger = logging.getLogger("kesher.export")
Status = DataExport.Status
STALLED_AFTER = timedelta(minutes=30)
PROGRESS_EVERY = 20_000


def export_dir() -> Path:
    return Path(settings.KESHER_EXPORT_DIR)


def _require_admin(user) -> None:
    if not is_admin(user):
        # Every record of every user, passwords aside: for administrators only.
        raise PermissionDenied(_("Only an administrator may export all data."))


def data_export_start(*, actor) -> DataExport:
    """Record a full export for the worker to make (even a small one takes seconds of disk
    work that a request should not hold; the page follows its progress)."""
    _require_admin(actor)
    export = DataExport.objects.create(actor=actor, total=total_records())
    transaction.on_commit(lambda: run_data_export.enqueue(export.pk))
    return export


@task()
def run_data_export(export_id: int) -> None:
    """The worker's side (safe to run again: it writes the zip from the start)."""
    data_export_run(export_id)


def data_export_run(export_id: int) -> None:
    export = DataExport.objects.select_related("actor").filter(pk=export_id).first()
    if export is None or export.status == Status.DONE:
        return
    language = getattr(export.actor, "language", "") or settings.LANGUAGE_CODE
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    file_name = f"kesher-export-{stamp}-{export.pk}.zip"
    DataExport.objects.filter(pk=export_id).update(
        status=Status.RUNNING, started_at=timezone.now(), done=0, error="", file_name=""
    )
    last = 0

    def progress(done: int) -> None:
        nonlocal last
        if done - last >= PROGRESS_EVERY:
            last = done
            DataExport.objects.filter(pk=export_id).update(done=done)

    with translation.override(language):
        try:
            summary = export_all(export_dir() / file_name, on_progress=progress)
        except Exception:
            DataExport.objects.filter(pk=export_id).update(
                status=Status.FAILED,
                error=_("The export stopped on an unexpected error."),
                finished_at=timezone.now(),
            )
            raise
    DataExport.objects.filter(pk=export_id).update(
        status=Status.DONE,
        done=summary.records,
        total=summary.records,
        counts=summary.counts,
        file_name=file_name,
        size=summary.path.stat().st_size,
        finished_at=timezone.now(),
    )


def data_export_list(user):
    _require_admin(user)
    return DataExport.objects.select_related("actor").order_by("-created_at", "-pk")


def data_export_get(user, pk: int) -> DataExport:
    _require_admin(user)
    export = DataExport.objects.select_related("actor").filter(pk=pk).first()
    if export is None:
        raise Http404
    return export


def data_export_file(user, pk: int) -> Path:
    """The finished export's zip, or 404 when it is not finished or its file is gone."""
    export = data_export_get(user, pk)
    path = export_dir() / export.file_name
    if export.status != Status.DONE or not export.file_name or not path.is_file():
        raise Http404
    return path


@on_tick
def resume_stalled_exports() -> None:
    """Queue again an export whose worker stopped; it writes its zip from the start."""
    cutoff = timezone.now() - STALLED_AFTER
    stalled = DataExport.objects.filter(
        status__in=[Status.QUEUED, Status.RUNNING], created_at__lt=cutoff, finished_at=None
    )
    for export_id in list(stalled.values_list("pk", flat=True)[:2]):
        DataExport.objects.filter(pk=export_id).update(created_at=timezone.now())
        run_data_export.enqueue(export_id)

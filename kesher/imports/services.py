"""The import job's life: upload, map, dry run, run in the worker in batches, cancel, undo
(REQ IM-1, IM-2). Views, the API and tests call these; rows are written by ``engine``.

A batch of rows is one transaction, and the job's ``cursor`` moves inside it: a crash (or
``kill -9``) loses at most the batch in flight, which left nothing behind, and the next run
continues after the last committed batch (decision 0021).
"""

from __future__ import annotations

import datetime
import io
import logging
from contextlib import contextmanager
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import connection, models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kesher.imports import archive, bulk, duplicates, lookup
from kesher.imports.engine import (
    ATTACHMENT_ENTITY,
    RowError,
    RowValues,
    check_repeat,
    convert_row,
    plan_for,
    process_row,
)
from kesher.imports.mapping import RENAMED, suggest, targets_for
from kesher.imports.models import ExternalId, ImportIssue, ImportJob, ImportMapping, ImportRowChange
from kesher.imports.reading import Table, max_bytes, read_table
from kesher.platform.access import can, is_admin
from kesher.platform.records.services import record_delete, record_update
from kesher.platform.registry import registry

__all__ = [
    "import_cancel",
    "import_check",
    "import_job_for",
    "import_jobs_for",
    "import_set_mapping",
    "import_set_missing",
    "import_start",
    "import_undo",
    "import_upload",
    "issues_xlsx",
    "load_table",
    "mapping_save",
    "run_job",
]

logger = logging.getLogger("kesher.imports")
Status = ImportJob.Status
# A running job renews ``heartbeat_at`` with every batch: silent this long, its worker died and it
# is taken up again from its cursor (issue 24 item 6; two runners take turns by the job's row
# lock, so a slow batch taken for a dead one is not written twice). A queued job may wait long
# behind others.
STALLED_AFTER = timedelta(seconds=40)
QUEUED_STALLED_AFTER = timedelta(minutes=10)
COUNTS = ("created", "updated", "unchanged", "invalid", "duplicates")
MISSING_SHOWN = 20


def batch_size() -> int:
    return settings.KESHER_IMPORT_BATCH_SIZE


def undo_days() -> int:
    return settings.KESHER_IMPORT_UNDO_DAYS


class _Rollback(Exception):
    """Raised inside a dry run's batch so its writes are rolled back."""


def _entity_for_import(key: str, actor):
    try:
        entity = registry.get(key)
    except KeyError:
        raise ValidationError({"entity": [_("Unknown entity.")]}) from None
    if not can(actor, entity.key, "add"):
        raise PermissionDenied(_("Your role may not add these records."))
    return entity


# --- reading ------------------------------------------------------------------------------------


def load_table(job: ImportJob) -> Table:
    with job.file.open("rb") as handle:
        return read_table(handle.read(), job.filename)


def import_jobs_for(user):
    """Jobs ``user`` may see: their own, every job for an administrator."""
    qs = ImportJob.objects.select_related("actor")
    return qs if is_admin(user) else qs.filter(actor_id=getattr(user, "pk", None))


def import_job_for(user, pk) -> ImportJob | None:
    if not getattr(user, "is_authenticated", False):
        return None
    try:
        return import_jobs_for(user).filter(pk=int(pk)).first()
    except (TypeError, ValueError):
        return None


# --- the wizard's steps -------------------------------------------------------------------------


def import_upload(
    *,
    actor,
    entity: str,
    filename: str,
    content: bytes,
    archive_name: str = "",
    archive_content: bytes | None = None,
) -> ImportJob:
    """Read an uploaded file and keep it with a new job; the columns get suggested fields.

    ``archive_content`` is an optional zip of attachments the rows name (decision 0037)."""
    entity_obj = _entity_for_import(entity, actor)
    if archive_content is not None:
        try:
            archive.check_archive(archive_content)
        except ValidationError as exc:
            raise ValidationError({"archive": exc.messages}) from None
    if len(content) > max_bytes():
        raise ValidationError(
            {
                "file": [
                    _("The file is too large (at most %(mb)s MB).")
                    % {"mb": max_bytes() // (1024 * 1024)}
                ]
            }
        )
    filename = (filename or "import").replace("\\", "/").rsplit("/", 1)[-1][:200] or "import"
    table = read_table(content, filename)
    suggestions = suggest(table.headers, targets_for(entity_obj, actor))
    job = ImportJob(
        entity=entity_obj.key,
        actor=actor,
        filename=filename,
        file_format=table.file_format,
        encoding=table.encoding,
        delimiter=table.delimiter,
        headers=table.headers,
        notes=table.notes,
        total=len(table.rows),
        mapping={"columns": {i: {"field": key} for i, key in suggestions.items()}},
    )
    job.file.save(
        f"import-{timezone.now():%Y%m%d%H%M%S}.{table.file_format}",
        ContentFile(content),
        save=False,
    )
    if archive_content is not None:
        job.archive_name = (archive_name or "attachments.zip").replace("\\", "/")
        job.archive_name = job.archive_name.rsplit("/", 1)[-1][:200]
        job.archive.save(
            f"import-{timezone.now():%Y%m%d%H%M%S}.zip", ContentFile(archive_content), save=False
        )
    job.save()
    return job


def _require_editable(job: ImportJob) -> None:
    if job.status not in (Status.UPLOADED, Status.CHECKED):
        raise ValidationError({"status": [_("This import can no longer be changed.")]})


@transaction.atomic
def import_set_mapping(job: ImportJob, *, actor, mapping: dict, mode: str | None = None):
    """Set the column mapping (and mode); a mapping naming a field the entity lacks is refused.

    The dry run must then be run again for this mapping."""
    _entity_for_import(job.entity, actor)
    job = ImportJob.objects.select_for_update().get(pk=job.pk)  # one writer of the mapping
    _require_editable(job)
    if not isinstance(mapping, dict) or not isinstance(mapping.get("columns", {}), dict):
        raise ValidationError({"mapping": [_("Enter the mapping as an object.")]})
    if mode is not None:
        if mode not in ImportJob.Mode.values:
            raise ValidationError({"mode": [_("Choose create, update or upsert.")]})
        job.mode = mode
    clean = {
        k: v
        for k, v in mapping.items()
        if k in ("match", "source", "skip_invalid", "date_order", "duplicates")
    }
    columns = {}
    for index, spec in mapping.get("columns", {}).items():
        if isinstance(spec, str):
            spec = {"field": spec}
        if not isinstance(spec, dict):
            raise ValidationError({"mapping": [_("Enter the mapping as an object.")]})
        if spec.get("field"):
            try:
                columns[str(int(index))] = {
                    "field": RENAMED.get(str(spec["field"]), str(spec["field"]))[:100],
                    "values": spec.get("values") or {},
                }
                if spec.get("missing"):
                    columns[str(int(index))]["missing"] = str(spec["missing"])[:10]
            except (TypeError, ValueError):
                raise ValidationError({"mapping": [_("Columns are numbered from 0.")]}) from None
    clean["columns"] = columns
    job.mapping = clean
    plan_for(job, actor)  # raises naming every problem; nothing is saved then
    job.status, job.checked = Status.UPLOADED, False
    job.created = job.updated = job.unchanged = job.invalid = job.duplicates = job.done = 0
    job.report = {}
    job.save(update_fields=["mapping", "mode", "status", "checked", "report", "done", *COUNTS])
    job.issues.all().delete()
    return job


def _enqueue(job_id: int) -> None:
    from kesher.imports.tasks import run_import_job

    # The worker must find the committed job row.
    transaction.on_commit(partial(run_import_job.enqueue, job_id))


@transaction.atomic
def import_check(job: ImportJob, *, actor) -> ImportJob:
    """Queue the dry run: every row validated by the services, nothing kept."""
    _entity_for_import(job.entity, actor)
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    _require_editable(job)
    plan_for(job, actor)
    job.status, job.checked, job.done = Status.CHECKING, False, 0
    job.cancel_requested = False
    job.heartbeat_at = timezone.now()
    job.save(update_fields=["status", "checked", "done", "cancel_requested", "heartbeat_at"])
    _enqueue(job.pk)
    return job


@transaction.atomic
def import_start(job: ImportJob, *, actor) -> ImportJob:
    """Queue the import. It needs a finished dry run; bad rows stop it unless the mapping
    says to skip them."""
    _entity_for_import(job.entity, actor)
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status != Status.CHECKED or not job.checked:
        raise ValidationError({"status": [_("Run the dry run first.")]})
    if job.invalid and not (job.mapping or {}).get("skip_invalid"):
        raise ValidationError(
            {
                "status": [
                    _("The dry run found %(n)s bad rows. Fix the file or choose to skip them.")
                    % {"n": job.invalid}
                ]
            }
        )
    job.status, job.cursor, job.done = Status.QUEUED, 0, 0
    job.created = job.updated = job.unchanged = job.invalid = job.duplicates = 0
    job.heartbeat_at = timezone.now()
    job.save(update_fields=["status", "cursor", "done", "heartbeat_at", *COUNTS])
    job.issues.all().delete()
    _enqueue(job.pk)
    return job


def import_set_missing(job: ImportJob, *, actor, choices: dict) -> ImportJob:
    """What to do with each link column's values that name no record — {column index:
    "report" | "create" | "leave"} — then the dry run again (decision 0048)."""
    mapping = dict(job.mapping or {})
    columns = {k: dict(v) for k, v in (mapping.get("columns") or {}).items()}
    for index, choice in choices.items():
        if str(index) not in columns:
            raise ValidationError({"mapping": [_("Column %(n)s is not mapped.") % {"n": index}]})
        columns[str(index)]["missing"] = str(choice)
    mapping["columns"] = columns
    job = import_set_mapping(job, actor=actor, mapping=mapping)
    return import_check(job, actor=actor)


def missing_report(plan) -> dict:
    """The dry run's link values naming no record, per column (shown with the choice to create
    them or leave them unlinked): a few of them, how many, and what the column does."""
    report = {}
    for column in plan.columns:
        values = plan.missing.get(column.index)
        if not values:
            continue
        target = column.target
        entity = registry.get(target.entity_key)
        report[str(column.index)] = {
            "column": column.header,
            "field": target.key,
            "entity": entity.key,
            "count": len(values),
            "values": sorted(values)[:MISSING_SHOWN],
            "choice": column.missing,
            "may_create": lookup.creatable(plan, target),
        }
    return report


@transaction.atomic
def import_cancel(job: ImportJob, *, actor) -> ImportJob:
    """Stop a job: at once if it waits, after the batch in flight if it runs."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status in (Status.DONE, Status.FAILED, Status.CANCELLED, Status.UNDONE):
        raise ValidationError({"status": [_("This import has already finished.")]})
    job.cancel_requested = True
    fields = ["cancel_requested"]
    if job.status != Status.RUNNING:
        job.status, job.finished_at = Status.CANCELLED, timezone.now()
        fields += ["status", "finished_at"]
    job.save(update_fields=fields)
    return job


def mapping_save(*, actor, entity: str, name: str, mapping: dict) -> ImportMapping:
    """Save (or replace) a named mapping of ``entity`` for later files."""
    _entity_for_import(entity, actor)
    name = (name or "").strip()[:100]
    if not name:
        raise ValidationError({"name": [_("This field is required.")]})
    if not isinstance(mapping, dict):
        raise ValidationError({"mapping": [_("Enter the mapping as an object.")]})
    saved, _created = ImportMapping.objects.update_or_create(
        entity=entity, name=name, defaults={"mapping": mapping, "owner": actor}
    )
    return saved


def mapping_apply(saved: ImportMapping, headers: list[str]) -> dict:
    """A saved mapping (by column name) as a mapping of this file's columns (by index)."""
    by_name = saved.mapping.get("by_header") or {}
    columns = {
        str(i): {
            "field": by_name[h]["field"],
            "values": by_name[h].get("values") or {},
            **({"missing": by_name[h]["missing"]} if by_name[h].get("missing") else {}),
        }
        for i, h in enumerate(headers)
        if h in by_name
    }
    rest = {k: v for k, v in saved.mapping.items() if k not in ("by_header", "columns")}
    return {**rest, "columns": columns}


def mapping_by_header(job: ImportJob) -> dict:
    """The job's mapping keyed by column name, the form a saved mapping keeps."""
    mapping = dict(job.mapping or {})
    columns = mapping.pop("columns", {}) or {}
    by_header = {
        job.headers[int(i)]: spec for i, spec in columns.items() if int(i) < len(job.headers)
    }
    return {**mapping, "mode": job.mode, "by_header": by_header}


# --- the worker ---------------------------------------------------------------------------------


def run_job(job_id: int, *, size: int | None = None) -> None:
    """Run (or resume) a job's dry run or import; safe to call twice (idempotent)."""
    job = ImportJob.objects.select_related("actor").filter(pk=job_id).first()
    if job is None or job.status not in (Status.CHECKING, Status.QUEUED, Status.RUNNING):
        return
    language = getattr(job.actor, "language", "") or settings.LANGUAGE_CODE
    with translation.override(language):
        try:
            if job.actor is None or not job.actor.is_active:
                raise PermissionDenied(_("The user who started this import can no longer run it."))
            _entity_for_import(job.entity, job.actor)
            plan = plan_for(job, job.actor)
            size = size or batch_size()
            rows = load_table(job).rows
            if job.status == Status.CHECKING:
                _dry_run(plan, rows, size)
            else:
                _run(plan, rows, size)
        except (ValidationError, PermissionDenied) as exc:
            messages = getattr(exc, "messages", None) or [str(exc)]
            _fail(job_id, " ".join(str(m) for m in messages))
        except Exception:
            _fail(job_id, _("The import stopped on an unexpected error."))
            raise


def _fail(job_id: int, message: str) -> None:
    ImportJob.objects.filter(pk=job_id).update(
        status=Status.FAILED, error=message[:2000], finished_at=timezone.now()
    )


def _issues(job: ImportJob, row: int, error: RowError) -> list[ImportIssue]:
    return [
        ImportIssue(job=job, row=row, column=column[:200], message=message, value=value[:200])
        for column, message, value in error.problems
    ]


def _apply_rows(
    plan, rows, start: int, counts: dict, issues: list, *, stop_on_error: bool, write: bool
):
    """Check (and with ``write``, apply) one batch: in bulk where the entity allows it
    (``bulk.supports``), else row by row through the services in savepoints. A dry run passes
    ``write=False`` inside a transaction it rolls back, so rows the services write vanish too."""
    lookup.prefetch(plan, rows)
    if bulk.supports(plan):
        bulk.apply_batch(
            plan, rows, start, counts, issues, stop_on_error=stop_on_error, write=write
        )
        return
    # Row by row through the services; each row's record and the duplicates looked up for
    # the whole batch first (a query or two per batch, not per row).
    converted: dict[int, RowValues | RowError] = {}
    for offset, cells in enumerate(rows):
        row = start + offset + 2  # as the user sees it: the header is row 1
        try:
            values = convert_row(plan, cells)
            check_repeat(plan, values, row)
        except RowError as error:
            converted[row] = error
        else:
            converted[row] = values
    good = [(row, v) for row, v in converted.items() if not isinstance(v, RowError)]
    found = bulk.find_existing(plan, good)
    repeated = duplicates.find(plan, good, {row for row, _v in good if found.get(row) is None})
    for offset, cells in enumerate(rows):
        row = start + offset + 2
        if row in repeated:
            counts["duplicates"] += 1
            issues += _issues(plan.job, row, repeated[row])
            continue
        try:
            values = converted[row]
            if isinstance(values, RowError):
                raise values
            with transaction.atomic():
                outcome = process_row(plan, row, cells, values, found.get(row))
        except RowError as error:
            counts["invalid"] += 1
            issues += _issues(plan.job, row, error)
            if stop_on_error:
                raise
            continue
        counts[outcome] += 1


def _dry_run(plan, rows: list, size: int) -> None:
    job = plan.job
    plan.dry_run = True
    ImportIssue.objects.filter(job=job).delete()
    counts = dict.fromkeys(COUNTS, 0)
    for start in range(0, len(rows), size):
        issues: list[ImportIssue] = []
        try:
            with transaction.atomic():
                _apply_rows(
                    plan,
                    rows[start : start + size],
                    start,
                    counts,
                    issues,
                    stop_on_error=False,
                    write=False,
                )
                raise _Rollback
        except _Rollback:
            pass
        plan.cache.clear()  # records found in the rolled-back batch may not exist
        # Nor content types first created in it (for the audit), which Django caches.
        ContentType.objects.clear_cache()
        ImportIssue.objects.bulk_create(issues)
        done = min(len(rows), start + size)
        ImportJob.objects.filter(pk=job.pk).update(done=done, heartbeat_at=timezone.now(), **counts)
        if ImportJob.objects.filter(pk=job.pk, cancel_requested=True).exists():
            return
    ImportJob.objects.filter(pk=job.pk, status=Status.CHECKING).update(
        status=Status.CHECKED,
        checked=True,
        done=len(rows),
        total=len(rows),
        report={"missing": missing_report(plan)},
    )


def _run(plan, rows: list, size: int) -> None:
    job_id = plan.job.pk
    now = timezone.now()
    ImportJob.objects.filter(pk=job_id).update(
        status=Status.RUNNING,
        started_at=models.functions.Coalesce(models.F("started_at"), now),
        heartbeat_at=now,
        error="",
    )
    stop_on_error = not (plan.job.mapping or {}).get("skip_invalid")
    with _checkpoints_deferred():
        _run_batches(plan, rows, size, job_id, stop_on_error)


@contextmanager
def _checkpoints_deferred():
    """On SQLite, let the write-ahead log grow while the import commits batch after batch.

    Each batch's inserts touch pages all over the indexes of large tables (a contact's search
    tokens land among millions); with the default checkpoint every 1,000 pages, nearly every
    commit copied its pages back into the database file — a third of an import's time. The
    pages are copied once, when the import ends (or at 50,000 pages, ~200 MB)."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint")
        (before,) = cursor.fetchone()
        cursor.execute("PRAGMA wal_autocheckpoint = 50000")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA wal_autocheckpoint = {int(before)}")
            if not connection.in_atomic_block:  # a checkpoint cannot run inside a transaction
                cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")


def _rows_per_transaction(plan, size: int) -> int:
    """How many rows one transaction writes. On SQLite a commit copies every page the
    transaction changed into the log, and a batch's records land all over the indexes of large
    tables: bare inserts of 90,000 contacts in transactions of 500 took ×1.5 the time of one
    (issue 26). The bulk path writes several batches a transaction there — holding the
    database's one write lock a second or two, not the whole import."""
    if connection.vendor != "sqlite" or not bulk.supports(plan):
        return size
    return max(size, settings.KESHER_IMPORT_SQLITE_TRANSACTION_ROWS)


def _run_batches(plan, rows: list, size: int, job_id: int, stop_on_error: bool) -> None:
    span = _rows_per_transaction(plan, size)
    while True:
        with transaction.atomic():
            # One runner at a time: a second worker on the same job waits here, then reads
            # the cursor this one moved.
            job = ImportJob.objects.select_for_update().get(pk=job_id)
            if job.status != Status.RUNNING:
                return
            if job.cancel_requested:
                job.status, job.finished_at = Status.CANCELLED, timezone.now()
                job.save(update_fields=["status", "finished_at"])
                return
            plan.job = job
            written = 0
            while written < span:
                batch = rows[job.cursor : job.cursor + size]
                if not batch:
                    job.status, job.finished_at = Status.DONE, timezone.now()
                    job.save(update_fields=["status", "finished_at"])
                    return
                if not _run_batch(plan, job, batch, stop_on_error):
                    return
                written += len(batch)


def _run_batch(plan, job: ImportJob, batch: list, stop_on_error: bool) -> bool:
    """Write one batch in a savepoint and move the job's cursor past it; False when a bad row
    stopped the import (the batch is not written, the ones before it are)."""
    plan.stored.clear()  # the files of the batches before are written
    counts = dict.fromkeys(COUNTS, 0)
    issues: list[ImportIssue] = []
    try:
        with transaction.atomic():
            _apply_rows(
                plan, batch, job.cursor, counts, issues, stop_on_error=stop_on_error, write=True
            )
    except RowError:
        plan.cache.clear()
        _forget_stored(plan)
        job.status, job.finished_at = Status.FAILED, timezone.now()
        job.error = _("Row %(row)s could not be imported; this batch was not written.") % {
            "row": issues[0].row if issues else "?"
        }
        job.save(update_fields=["status", "finished_at", "error"])
        ImportIssue.objects.bulk_create(issues)
        return False
    ImportIssue.objects.bulk_create(issues)
    job.cursor += len(batch)
    job.done = job.cursor
    for name, value in counts.items():
        setattr(job, name, getattr(job, name) + value)
    job.heartbeat_at = timezone.now()
    job.save(update_fields=["cursor", "done", "heartbeat_at", *COUNTS])
    return True


def _forget_stored(plan) -> None:
    """Delete the files a rolled-back batch stored: a rollback does not remove files."""
    from django.core.files.storage import default_storage

    for name in plan.stored:
        default_storage.delete(name)
    plan.stored.clear()


def resume_stalled() -> None:
    """Re-queue jobs (and undos) whose worker stopped; they continue from their cursor."""
    from kesher.imports.tasks import run_import_job, run_import_undo

    now = timezone.now()
    stalled = ImportJob.objects.filter(
        models.Q(status__in=[Status.CHECKING, Status.RUNNING], heartbeat_at__lt=now - STALLED_AFTER)
        | models.Q(status=Status.QUEUED, heartbeat_at__lt=now - QUEUED_STALLED_AFTER)
    ).values_list("pk", flat=True)
    for job_id in list(stalled[:20]):
        # Queued again, it waits its turn under the queued job's longer patience.
        ImportJob.objects.filter(pk=job_id, status=Status.RUNNING).update(status=Status.QUEUED)
        ImportJob.objects.filter(pk=job_id).update(heartbeat_at=timezone.now())
        logger.warning("import job %s stalled; queued again", job_id)
        run_import_job.enqueue(job_id)
    undoing = ImportJob.objects.filter(
        status=Status.UNDOING, heartbeat_at__lt=now - STALLED_AFTER
    ).values_list("pk", flat=True)
    for job_id in list(undoing[:20]):
        ImportJob.objects.filter(pk=job_id).update(heartbeat_at=timezone.now())
        logger.warning("undo of import job %s stalled; queued again", job_id)
        run_import_undo.enqueue(job_id)


# --- undo ---------------------------------------------------------------------------------------


UNDO_BATCH = 200


@transaction.atomic
def import_undo(job: ImportJob, *, actor) -> ImportJob:
    """Ask the worker to undo a finished import within the undo period: delete what it created
    and restore what it updated (``run_undo``). Returns the job, now "undoing"."""
    from kesher.imports.tasks import run_import_undo

    _entity_for_import(job.entity, actor)
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status not in (Status.DONE, Status.CANCELLED, Status.FAILED) or job.started_at is None:
        raise ValidationError({"status": [_("Only a finished import can be undone.")]})
    finished = job.finished_at or job.started_at
    if timezone.now() - finished > datetime.timedelta(days=undo_days()):
        raise ValidationError(
            {"status": [_("Imports can be undone for %(n)s days only.") % {"n": undo_days()}]}
        )
    job.status, job.undone_by, job.heartbeat_at = Status.UNDOING, actor, timezone.now()
    job.undo_total = job.changes.count()
    job.undo_done, job.undo_after = 0, None
    job.undo_counts = {"deleted": 0, "restored": 0, "kept": 0, "skipped": 0}
    job.save(
        update_fields=[
            "status",
            "undone_by",
            "heartbeat_at",
            "undo_total",
            "undo_done",
            "undo_after",
            "undo_counts",
        ]
    )
    transaction.on_commit(partial(run_import_undo.enqueue, job.pk))
    return job


def run_undo(job_id: int, *, size: int = UNDO_BATCH) -> None:
    """Undo an import in the worker, a batch of its changes per transaction (issue 24 item 5).

    Each batch commits its writes with the job's cursor and counts, so a worker that dies goes
    on after the last whole batch. A record deleted meanwhile is skipped, one that others now
    use (or that no longer validates) is kept; both are counted, never a reason to stop."""
    job = ImportJob.objects.select_related("undone_by").filter(pk=job_id).first()
    if job is None or job.status != Status.UNDOING:
        return
    actor = job.undone_by
    language = getattr(actor, "language", "") or settings.LANGUAGE_CODE
    with translation.override(language):
        if actor is None or not actor.is_active:
            _undo_stopped(job_id, _("The user who asked for the undo can no longer do it."))
            return
        while _undo_batch(job_id, actor, size):
            pass


def _undo_stopped(job_id: int, message: str) -> None:
    ImportJob.objects.filter(pk=job_id, status=Status.UNDOING).update(
        status=Status.DONE, error=message[:2000]
    )


@transaction.atomic
def _undo_batch(job_id: int, actor, size: int) -> bool:
    """Undo the next ``size`` changes, newest row first; False when nothing is left."""
    job = ImportJob.objects.select_for_update().get(pk=job_id)
    if job.status != Status.UNDOING:
        return False
    entity = registry.get(job.entity)
    counts = dict(job.undo_counts)
    if job.undo_after is None:  # the first batch: the files go with it
        counts["deleted"] += _undo_attachments(job, actor)
    changes = job.changes.filter(entity=entity.key)
    if job.undo_after is not None:
        row, pk = job.undo_after
        changes = changes.filter(models.Q(row__lt=row) | models.Q(row=row, pk__lt=pk))
    batch = list(changes.order_by("-row", "-pk")[:size])
    records = entity.model._base_manager.in_bulk([c.record_id for c in batch])
    for change in batch:
        record = records.get(change.record_id)
        if record is None:
            counts["skipped"] += 1  # deleted since the import
            continue
        try:
            with transaction.atomic():
                if change.action == ImportRowChange.Action.CREATED:
                    (entity.delete_service or record_delete)(record, actor=actor)
                    counts["deleted"] += 1
                else:
                    (entity.update_service or record_update)(
                        record, actor=actor, data=dict(change.before)
                    )
                    counts["restored"] += 1
        except (models.ProtectedError, models.RestrictedError, ValidationError):
            counts["kept"] += 1
    job.undo_counts, job.heartbeat_at = counts, timezone.now()
    job.undo_done += len(batch)
    if batch:
        job.undo_after = [batch[-1].row, batch[-1].pk]
        job.save(update_fields=["undo_counts", "heartbeat_at", "undo_done", "undo_after"])
        return True
    ExternalId.objects.filter(job=job).delete()
    job.status, job.undone_at = Status.UNDONE, timezone.now()
    job.undo_done = job.undo_total
    job.save(update_fields=["undo_counts", "heartbeat_at", "undo_done", "status", "undone_at"])
    return False


def _undo_attachments(job: ImportJob, actor) -> int:
    """Remove the files the import stored from its zip, after the transaction commits."""
    from kesher.platform.models import Attachment, AuditEntry
    from kesher.platform.records.attachments import FILE
    from kesher.platform.records.services import write_audit

    ids = job.changes.filter(entity=ATTACHMENT_ENTITY).values_list("record_id", flat=True)
    attachments = list(Attachment.objects.filter(pk__in=list(ids)).select_related("content_type"))
    for attachment in attachments:
        record = attachment.record
        if record is not None:
            write_audit(
                record,
                actor=actor,
                action=AuditEntry.Action.UPDATE,
                changes={FILE: [attachment.name, None]},
            )
        transaction.on_commit(partial(attachment.file.storage.delete, attachment.file.name))
    Attachment.objects.filter(pk__in=[a.pk for a in attachments]).delete()
    return len(attachments)


# --- the problems report ------------------------------------------------------------------------


def issues_xlsx(job: ImportJob) -> bytes:
    """The bad rows of a job as an XLSX sheet (row, column, value, problem); values that would
    start a formula are written as text."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Problems")[:31])
    sheet.sheet_view.rightToLeft = translation.get_language_bidi()
    sheet.append([_("Row"), _("Column"), _("Value"), _("Problem")])
    for row, column, value, message in (
        job.issues.order_by("row", "pk")
        .values_list("row", "column", "value", "message")
        .iterator(chunk_size=2000)
    ):
        cells = []
        for text in (column, value, message):
            cell = WriteOnlyCell(sheet, value=text)
            cell.data_type = "s"  # never a formula
            cells.append(cell)
        sheet.append([row, *cells])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()

"""Imports: a job per uploaded file, saved column mappings, the old system's ids, and what each
import changed (so it can be undone). REQ IM-1, IM-2."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

__all__ = ["ExternalId", "ImportIssue", "ImportJob", "ImportMapping", "ImportRowChange"]


class ImportMapping(models.Model):
    """A named, reusable column → field mapping for one entity (with its transforms)."""

    entity = models.CharField(_("entity"), max_length=40)
    name = models.CharField(_("name"), max_length=100)
    # {"columns": {header: {"field": ..., "transform": ..., "values": {...}}}, "mode": ...}
    mapping = models.JSONField(_("mapping"), default=dict)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["entity", "name"]
        constraints = [
            models.UniqueConstraint(fields=["entity", "name"], name="import_mapping_unique_name")
        ]
        verbose_name = _("import mapping")
        verbose_name_plural = _("import mappings")

    def __str__(self):
        return self.name


class ImportJob(models.Model):
    """One uploaded file being imported into one entity.

    ``cursor`` is the number of data rows already committed; it moves in the same transaction
    as each batch's writes, so a run resumed after a crash continues after the last whole batch.
    """

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        CHECKING = "checking", _("Checking")
        CHECKED = "checked", _("Checked")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")
        UNDOING = "undoing", _("Undoing")
        UNDONE = "undone", _("Undone")

    class Mode(models.TextChoices):
        CREATE = "create", _("Create new records")
        UPDATE = "update", _("Update existing records")
        UPSERT = "upsert", _("Update existing, create the rest")

    entity = models.CharField(_("entity"), max_length=40)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    file = models.FileField(upload_to="imports/%Y/%m/", max_length=300)
    filename = models.CharField(_("file"), max_length=255)
    # The zip of attachments uploaded with the sheet, if any (decision 0037).
    archive = models.FileField(upload_to="imports/%Y/%m/", max_length=300, blank=True)
    archive_name = models.CharField(_("attachments zip"), max_length=255, blank=True)
    file_format = models.CharField(max_length=10)  # "csv" or "xlsx"
    encoding = models.CharField(_("encoding"), max_length=40, blank=True)
    delimiter = models.CharField(max_length=4, blank=True)
    headers = models.JSONField(default=list)
    # Remarks about the file (ragged rows padded ...), shown on the mapping screen.
    notes = models.JSONField(default=list, blank=True)
    # {"columns": {index: {...}}, "mode": ..., "match": ..., "source": ..., "skip_invalid": ...}
    mapping = models.JSONField(_("mapping"), default=dict, blank=True)
    mode = models.CharField(_("mode"), max_length=10, choices=Mode.choices, default=Mode.CREATE)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.UPLOADED
    )
    checked = models.BooleanField(default=False)  # a dry run of the current mapping finished
    total = models.PositiveIntegerField(_("rows"), default=0)
    done = models.PositiveIntegerField(_("processed"), default=0)
    cursor = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    invalid = models.PositiveIntegerField(_("bad rows"), default=0)
    # Rows skipped because they repeat a phone or e-mail (of the file or of a record).
    duplicates = models.PositiveIntegerField(_("duplicates"), default=0)
    # What the dry run found beside the counts: {"missing": {column index: {"column", "field",
    # "entity", "count", "values", "choice", "may_create"}}} — link values naming no record.
    report = models.JSONField(default=dict, blank=True)
    cancel_requested = models.BooleanField(default=False)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    # Undo runs in the worker (issue 24 item 5): who asked, how far it went — the (row, id) of
    # the last change it handled, committed with each batch — and what it did.
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("undone by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    undo_total = models.PositiveIntegerField(default=0)
    undo_done = models.PositiveIntegerField(default=0)
    undo_after = models.JSONField(null=True, blank=True)
    undo_counts = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="import_job_status")]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self):
        return f"{self.filename} → {self.entity} #{self.pk}"

    @property
    def busy(self) -> bool:
        return self.status in (
            self.Status.CHECKING,
            self.Status.QUEUED,
            self.Status.RUNNING,
            self.Status.UNDOING,
        )

    @property
    def to_write(self) -> int:
        """The rows the import will write, by the dry run: those it creates or changes."""
        return self.created + self.updated

    @property
    def percent(self) -> int:
        if self.status == self.Status.UNDOING:
            return min(100, int(self.undo_done * 100 / self.undo_total)) if self.undo_total else 0
        if not self.total:
            return 100 if not self.busy else 0
        return min(100, int(self.done * 100 / self.total))


class ImportIssue(models.Model):
    """One problem of one row (dry run or run): the row number as the user sees it in the
    file (header = 1), the column and why."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="issues")
    row = models.PositiveIntegerField(_("row"))
    column = models.CharField(_("column"), max_length=200, blank=True)
    message = models.TextField(_("problem"))
    value = models.CharField(_("value"), max_length=200, blank=True)

    class Meta:
        ordering = ["job", "row", "pk"]
        verbose_name = _("import problem")
        verbose_name_plural = _("import problems")

    def __str__(self):
        return f"{self.row}: {self.message}"


class ImportRowChange(models.Model):
    """A record an import created or updated, with the updated fields' values before it
    (``before``: field → stored value, custom values under ``custom``), for undo."""

    class Action(models.TextChoices):
        CREATED = "created", _("Created")
        UPDATED = "updated", _("Updated")

    # import_change_job_row leads with the job: no second index on it (issue 26).
    job = models.ForeignKey(
        ImportJob, on_delete=models.CASCADE, related_name="changes", db_index=False
    )
    row = models.PositiveIntegerField()
    entity = models.CharField(max_length=40)
    record_id = models.BigIntegerField()
    action = models.CharField(max_length=10, choices=Action.choices)
    before = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["job", "row"], name="import_change_job_row"),
            # A record's timeline tells that an import created it from these (issue 26).
            models.Index(fields=["entity", "record_id"], name="import_change_record"),
        ]

    def __str__(self):
        return f"{self.entity} #{self.record_id} {self.action}"


class ExternalId(models.Model):
    """The id a record had in the old system, per source system (REQ IM-2): it keeps imported
    records distinct, lets a second import update them, and links contacts to accounts."""

    entity = models.CharField(_("entity"), max_length=40)
    record_id = models.BigIntegerField(_("record"))
    source = models.CharField(_("source system"), max_length=60, default="import")
    external_id = models.CharField(_("external id"), max_length=200)
    job = models.ForeignKey(
        ImportJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["entity", "source", "external_id"], name="external_id_unique"
            )
        ]
        indexes = [models.Index(fields=["entity", "record_id"], name="external_id_record")]
        verbose_name = _("external id")
        verbose_name_plural = _("external ids")

    def __str__(self):
        return f"{self.source}:{self.external_id}"

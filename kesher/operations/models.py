"""Jobs of the operations app: full exports of all data (REQ IM-5)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kesher.platform.models import WorkerProgress

__all__ = ["DataExport"]


class DataExport(WorkerProgress, models.Model):
    """A full export of all data for moving out (REQ IM-5): a zip of JSON lines per entity,
    made in the worker when large; only administrators start and download one."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    total = models.PositiveBigIntegerField(_("records"), default=0)
    done = models.PositiveBigIntegerField(_("records written"), default=0)
    # The zip's name inside KESHER_EXPORT_DIR (never a path from a request).
    file_name = models.CharField(_("file"), max_length=200, blank=True)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    counts = models.JSONField(_("records per file"), default=dict)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("data export")
        verbose_name_plural = _("data exports")

    def __str__(self):
        return f"export #{self.pk}"

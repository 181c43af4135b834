"""Duplicate candidates found by a scan, and the scans themselves (REQ IM-3)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kesher.platform.models import WorkerProgress

__all__ = ["DuplicatePair", "DuplicateScan"]


class DuplicateScan(WorkerProgress, models.Model):
    """One run over every record of an entity, in the worker, with its progress."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    entity = models.CharField(_("entity"), max_length=64)
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
    total = models.PositiveIntegerField(_("records"), default=0)
    done = models.PositiveIntegerField(_("records compared"), default=0)
    found = models.PositiveIntegerField(_("new pairs"), default=0)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("duplicate scan")
        verbose_name_plural = _("duplicate scans")

    def __str__(self):
        return f"{self.entity} #{self.pk}"


class DuplicatePair(models.Model):
    """Two records of one entity that may be the same customer; ``record_a < record_b``.

    Records are named by id (any registered entity, no foreign key per entity); the review
    queue reads them through ``visible_to`` so nobody learns of a record outside their scope.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        MERGED = "merged", _("merged")
        DISMISSED = "dismissed", _("not duplicates")

    entity = models.CharField(_("entity"), max_length=64)
    record_a = models.BigIntegerField(_("record"))
    record_b = models.BigIntegerField(_("other record"))
    score = models.PositiveSmallIntegerField(_("score"), default=0)
    # Why they match: any of "phone", "email", "israeli_id", "company_number", "name".
    reasons = models.JSONField(_("reasons"), default=list)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    scan = models.ForeignKey(
        DuplicateScan, null=True, blank=True, on_delete=models.SET_NULL, related_name="pairs"
    )
    created_at = models.DateTimeField(_("found"), default=timezone.now)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)

    class Meta:
        ordering = ["-score", "pk"]
        verbose_name = _("duplicate pair")
        verbose_name_plural = _("duplicate pairs")
        constraints = [
            models.UniqueConstraint(
                fields=["entity", "record_a", "record_b"], name="duplicate_pair_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(record_a__lt=models.F("record_b")), name="duplicate_pair_order"
            ),
        ]
        indexes = [
            models.Index(fields=["entity", "status", "-score", "id"], name="duplicate_queue"),
            models.Index(fields=["entity", "record_b"], name="duplicate_pair_b"),
        ]

    def __str__(self):
        return f"{self.entity} #{self.record_a} ~ #{self.record_b}"

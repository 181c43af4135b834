"""The practice environment's state, kept in the live database (REQ IM-6, IMPL-2)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

__all__ = ["PracticeEnvironment"]


class PracticeEnvironment(models.Model):
    """The one practice copy of the live data (a single row): whether it exists, when it was
    copied, and the copy or deletion in progress."""

    class Status(models.TextChoices):
        ABSENT = "absent", _("not created")
        COPYING = "copying", _("copying the live data")
        READY = "ready", _("ready")
        DELETING = "deleting", _("deleting")
        FAILED = "failed", _("failed")

    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ABSENT
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested"), null=True, blank=True)
    # When the live data was last copied (made or reset).
    copied_at = models.DateTimeField(_("copied from live"), null=True, blank=True)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    error = models.TextField(_("error"), blank=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("practice environment")
        verbose_name_plural = _("practice environments")

    def __str__(self):
        return str(self.get_status_display())

    @property
    def busy(self) -> bool:
        return self.status in (self.Status.COPYING, self.Status.DELETING)

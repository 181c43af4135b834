"""Reports and dashboards (REQ CX-8, RE-1 … RE-4; decision 0071). Both are records of the
registry — listed, versioned, audited and reachable through the API like any other — and hold
their definition as data, so an administrator changes a built-in report as he changes any.
Whom they are shared with (users, roles; a dashboard's role) widens who reads them beyond the
grant's scope (``Entity.shared_via``)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kesher.platform.fields import owner_fk
from kesher.platform.models import EntityQuerySet, KesherModel, entity_choices


class Report(KesherModel):
    """A saved report: its entity and definition (``kesher.reports.engine``), shared with users
    and roles. Whoever reads it sees the figures of the records he may see."""

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    entity = models.CharField(_("records of"), max_length=40, choices=entity_choices)
    definition = models.JSONField(
        _("definition"),
        default=dict,
        blank=True,
        help_text=_("Groupings, figures, filter, sort and display (see the reports guide)."),
    )
    owner = owner_fk()
    shared_roles = models.ManyToManyField(
        "org.Role", verbose_name=_("shared with roles"), blank=True, related_name="+"
    )
    shared_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("shared with users"),
        blank=True,
        related_name="+",
    )

    objects = EntityQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")

    def __str__(self):
        return self.name


class Dashboard(KesherModel):
    """A grid of report widgets for one user or for a role (its members' default home of
    figures). ``widgets`` is a list of ``{"report": <id>, "width": 4 | 6 | 12}``."""

    name = models.CharField(_("name"), max_length=200)
    owner = owner_fk()
    role = models.ForeignKey(
        "org.Role",
        verbose_name=_("default for role"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    widgets = models.JSONField(_("widgets"), default=list, blank=True)
    shared_roles = models.ManyToManyField(
        "org.Role", verbose_name=_("shared with roles"), blank=True, related_name="+"
    )
    shared_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("shared with users"),
        blank=True,
        related_name="+",
    )

    objects = EntityQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("dashboard")
        verbose_name_plural = _("dashboards")

    def __str__(self):
        return self.name


class ReportSchedule(KesherModel):
    """A report e-mailed on a schedule (issue 21 "Delivery"; decision 0099): each recipient
    gets the figures of the records *he* may see, in his language, as PDF and/or XLSX, through
    the outbox (which the practice environment suppresses)."""

    class Frequency(models.TextChoices):
        DAILY = "daily", _("Every day")
        WEEKLY = "weekly", _("Every week")
        MONTHLY = "monthly", _("Every month")

    class Formats(models.TextChoices):
        PDF = "pdf", _("PDF")
        XLSX = "xlsx", _("Excel (XLSX)")
        BOTH = "pdf_xlsx", _("PDF and Excel")

    class Weekday(models.IntegerChoices):
        # Python's weekday numbers; the Israeli week starts on Sunday.
        SUNDAY = 6, _("Sunday")
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")

    report = models.ForeignKey(
        Report, verbose_name=_("report"), on_delete=models.CASCADE, related_name="schedules"
    )
    recipients = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("recipients"), related_name="+"
    )
    frequency = models.CharField(
        _("frequency"), max_length=10, choices=Frequency.choices, default=Frequency.WEEKLY
    )
    weekday = models.PositiveSmallIntegerField(
        _("day of the week"),
        choices=Weekday.choices,
        default=Weekday.SUNDAY,
        help_text=_("For a weekly report."),
    )
    day_of_month = models.PositiveSmallIntegerField(
        _("day of the month"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(28)],
        help_text=_("For a monthly report: 1 to 28."),
    )
    hour = models.PositiveSmallIntegerField(
        _("hour"),
        default=7,
        validators=[MaxValueValidator(23)],
        help_text=_("0 to 23, in the organization's time zone."),
    )
    formats = models.CharField(
        _("attached as"), max_length=10, choices=Formats.choices, default=Formats.BOTH
    )
    note = models.TextField(
        _("note in the e-mail"),
        blank=True,
        max_length=2000,
        help_text=_("A few words shown above the figures, for every recipient."),
    )
    active = models.BooleanField(_("active"), default=True)
    owner = owner_fk()
    next_run_at = models.DateTimeField(_("next sending"), null=True, blank=True, editable=False)
    last_run_at = models.DateTimeField(_("last sent"), null=True, blank=True, editable=False)

    objects = EntityQuerySet.as_manager()

    class Meta:
        ordering = ["report__name", "id"]
        verbose_name = _("scheduled report")
        verbose_name_plural = _("scheduled reports")
        indexes = [models.Index(fields=["active", "next_run_at"], name="reports_schedule_due")]

    def __str__(self):
        return f"{self.report} · {self.get_frequency_display()}"


class ReportDeliveryFile(models.Model):
    """A file one scheduled e-mail carries, rendered for its recipient when it was queued and
    read by the outbox at delivery (``kesher/integrations/attachments.py``). Kept apart from
    record attachments: a recipient's figures are his, not the schedule owner's to open."""

    message = models.ForeignKey(
        "integrations.OutgoingMessage", on_delete=models.CASCADE, related_name="+"
    )
    schedule = models.ForeignKey(
        ReportSchedule, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(max_length=200)
    mime_type = models.CharField(max_length=100)
    content = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.name

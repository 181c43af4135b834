"""Projects and time: projects with stages and sub-projects, their team, and the hours reported
against them (REQ PR-1, PR-2, PR-5, SV-6; issue 20; decision 0069).

A project's stage, the project roles of its team and its billing mode are administrators'
pick-lists. A time entry moves draft → submitted → approved by the project's manager; once
submitted it is no longer edited through any generic path (``services.entry_locked_reason``).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from kesher.platform.fields import ACTIVE_USERS, choice_fk, money, owner_fk
from kesher.platform.models import EntityQuerySet, KesherModel

__all__ = [
    "Absence",
    "Allocation",
    "CostRate",
    "PayrollRule",
    "Project",
    "ProjectMember",
    "ProjectTemplate",
    "RateCard",
    "RunningTimer",
    "TimeEntry",
    "WorkTarget",
]

MINUTES_PER_DAY = 24 * 60


def UNBILL(collector, field, sub_objs, using):
    """A draft invoice deleted gives its hours back: they are approved and unbilled again, in
    the delete's own transaction (decision 0106)."""
    collector.add_field_update(field, None, sub_objs)
    collector.add_field_update(
        TimeEntry._meta.get_field("state"), TimeEntry.State.APPROVED, sub_objs
    )


class ProjectQuerySet(EntityQuerySet):
    def visible_to(self, user):
        """The projects the user's grant reaches, and those he is on the team of: a team
        member reports hours on his project whatever his role's scope (REQ PR-2)."""
        scoped = super().visible_to(user)
        if not user.is_authenticated:
            return scoped
        from kesher.platform.access import grant

        reach = grant(user, "projects")
        if not reach.view or reach.scope == "all":
            return scoped
        # The grant's condition ORed with the team's (as the time entries', decision 0111).
        return scoped | self.filter(
            pk__in=ProjectMember.objects.filter(user=user).values("project")
        )


class Project(KesherModel):
    """Work delivered to a customer: its account and maybe the deal it came from, its place in a
    tree of sub-projects, its stage, manager and dates, and its budget in hours and in shekels
    (REQ PR-1). Tasks, interactions and meetings are about it through the activities (PR-5);
    tickets name it (SV-6)."""

    name = models.CharField(_("name"), max_length=200)
    code = models.CharField(_("code"), max_length=30, blank=True)
    # Required on every form and in the API; the column takes none only so that deleting a
    # customer keeps its projects and their hours (the access matrix deletes accounts).
    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("account"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="projects",
    )
    opportunity = models.ForeignKey(
        "sales.Opportunity",
        verbose_name=_("opportunity"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="projects",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent project"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    stage = choice_fk("project_stage", _("stage"))
    billing_mode = choice_fk("project_billing_mode", _("billing mode"))
    owner = owner_fk("managed_projects", _("project manager"))
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)
    budget_hours = models.DecimalField(
        _("budget (hours)"),
        max_digits=9,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    budget_amount = money(
        models.DecimalField(
            _("budget (₪)"),
            max_digits=14,
            decimal_places=2,
            null=True,
            blank=True,
            validators=[MinValueValidator(Decimal("0"))],
        )
    )
    description = models.TextField(_("description"), blank=True)
    template = models.ForeignKey(
        "ProjectTemplate",
        verbose_name=_("made from template"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="projects",
    )

    objects = ProjectQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        indexes = [
            models.Index(fields=["name", "id"], name="project_name_id"),
            models.Index(fields=["owner", "name"], name="project_owner_name"),
            models.Index(fields=["created_at", "id"], name="project_created"),
        ]

    def __str__(self):
        return f"{self.code} {self.name}".strip() if self.code else self.name

    def clean(self):
        errors = {}
        if self.start_date and self.end_date and self.end_date < self.start_date:
            errors["end_date"] = _("The end date is before the start date.")
        if self.parent_id:
            if self.pk and self.parent_id == self.pk:
                errors["parent"] = _("A project cannot be its own parent.")
            elif self.pk:
                # Walk up from the new parent: meeting this project would close a loop.
                seen, node = set(), self.parent_id
                while node and node not in seen:
                    if node == self.pk:
                        errors["parent"] = _("A project cannot be under one of its sub-projects.")
                        break
                    seen.add(node)
                    node = (
                        Project.objects.filter(pk=node).values_list("parent_id", flat=True).first()
                    )
            if "parent" not in errors and self.account_id:
                parent_account = (
                    Project.objects.filter(pk=self.parent_id)
                    .values_list("account_id", flat=True)
                    .first()
                )
                if parent_account != self.account_id:
                    errors["parent"] = _("A sub-project belongs to the same account as its parent.")
        if (
            self.opportunity_id
            and self.account_id
            and self.opportunity.account_id != self.account_id
        ):
            errors["opportunity"] = _("This opportunity is of another account.")
        if errors:
            raise ValidationError(errors)


class ProjectMember(KesherModel):
    """A person on a project's team and his role in it (REQ PR-1)."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="members"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("team member"),
        on_delete=models.PROTECT,
        related_name="project_memberships",
        limit_choices_to=ACTIVE_USERS,
    )
    role = choice_fk("project_role", _("project role"))
    notes = models.CharField(_("notes"), max_length=200, blank=True)

    class Meta:
        ordering = ["project", "id"]
        verbose_name = _("project team member")
        verbose_name_plural = _("project team members")
        indexes = [models.Index(fields=["user", "project"], name="project_member_user")]

    def __str__(self):
        return f"{self.user} · {self.project}"


class TimeEntryQuerySet(EntityQuerySet):
    def visible_to(self, user):
        """The entries the user's grant reaches (his own, for an employee), and those on the
        projects he manages: he approves them (REQ PR-2)."""
        scoped = super().visible_to(user)
        if not user.is_authenticated:
            return scoped
        from kesher.platform.access import grant

        reach = grant(user, "time-entries")
        if not reach.view or reach.scope == "all":
            return scoped
        # One condition ORed with the grant's own, not "id IN (the grant's entries)": PostgreSQL
        # hashes such a subquery only while the whole table's ids fit in work_mem, else checks
        # each row against all of them — on 200,000 entries invoicing took minutes (decision 0111).
        return scoped | self.filter(project__owner=user)


class TimeEntry(KesherModel):
    """Minutes one person worked on one day on a project — maybe on a task or a ticket of it —
    with what was done and whether the customer pays for it (REQ PR-2)."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Approved")
        # Invoiced: on a line of a draft or issued tax invoice (decision 0106).
        BILLED = "billed", _("Billed")

    # Approved hours, billed or not: what payroll pays and what the project's value counts.
    APPROVED_STATES = (State.APPROVED, State.BILLED)

    user = owner_fk("time_entries", _("employee"), db_index=False)
    date = models.DateField(_("date"))
    project = models.ForeignKey(
        # A project with submitted or approved hours is not deleted (services.project_delete);
        # its draft hours go with it.
        Project,
        verbose_name=_("project"),
        on_delete=models.CASCADE,
        related_name="time_entries",
    )
    task = models.ForeignKey(
        "activities.Task",
        verbose_name=_("task"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="time_entries",
    )
    ticket = models.ForeignKey(
        "service.Ticket",
        verbose_name=_("ticket"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="time_entries",
    )
    minutes = models.PositiveIntegerField(
        _("minutes"), validators=[MinValueValidator(1), MaxValueValidator(MINUTES_PER_DAY)]
    )
    description = models.CharField(_("description"), max_length=500, blank=True)
    billable = models.BooleanField(_("billable"), default=True)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.DRAFT, editable=False
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True, editable=False)
    # Set when the month's payroll is exported (decision 0122): the hours are locked like
    # billed ones, and the month's export reads the same hours again.
    exported_at = models.DateTimeField(
        _("exported to payroll"), null=True, blank=True, editable=False
    )
    invoice_line = models.ForeignKey(
        "billing.InvoiceLine",
        verbose_name=_("invoice line"),
        null=True,
        blank=True,
        editable=False,
        on_delete=UNBILL,
        related_name="time_entries",
    )

    objects = TimeEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("time entry")
        verbose_name_plural = _("time entries")
        indexes = [
            models.Index(fields=["user", "date"], name="time_entry_user_date"),
            models.Index(fields=["project", "state", "date"], name="time_entry_project"),
            models.Index(fields=["date", "id"], name="time_entry_date_id"),
        ]

    def __str__(self):
        return f"{self.date:%d/%m/%Y} · {self.project} · {self.hours}"

    @property
    def hours(self) -> Decimal:
        return (Decimal(self.minutes) / 60).quantize(Decimal("0.01"))

    def clean(self):
        errors = {}
        if self.task_id and self.project_id:
            from kesher.activities.models import Task

            task = Task.objects.filter(pk=self.task_id).values("link_type", "link_id").first()
            if task and not (
                task["link_type"] == "projects" and task["link_id"] == self.project_id
            ):
                errors["task"] = _("This task is not about the project.")
        if self.ticket_id and self.project_id:
            ticket_project = self.ticket.project_id
            if ticket_project != self.project_id:
                errors["ticket"] = _("This ticket is not of the project.")
        if errors:
            raise ValidationError(errors)


class WorkTarget(KesherModel):
    """The hours an employee is expected to report in a month, from a month on (REQ PR-2): the
    running balance on his timesheet compares what he reported with it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("employee"),
        on_delete=models.CASCADE,
        related_name="work_targets",
        limit_choices_to=ACTIVE_USERS,
    )
    valid_from = models.DateField(_("valid from"))
    monthly_hours = models.DecimalField(
        _("monthly target (hours)"),
        max_digits=6,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("400"))],
    )
    notes = models.CharField(_("notes"), max_length=200, blank=True)

    class Meta:
        ordering = ["user", "-valid_from", "id"]
        verbose_name = _("monthly target hours")
        verbose_name_plural = _("monthly target hours")

    def __str__(self):
        return f"{self.user} · {self.monthly_hours} ({self.valid_from:%m/%Y})"


class RateCard(KesherModel):
    """An hourly rate the customer is billed, by project role, employee and customer, for a
    range of dates (REQ PR-4). An empty role, employee or customer matches any; for an hour,
    the most specific card in force on its date applies (``billing.rate_for``)."""

    name = models.CharField(_("name"), max_length=100)
    role = choice_fk("project_role", _("project role"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("employee"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rate_cards",
        limit_choices_to=ACTIVE_USERS,
    )
    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="rate_cards",
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    hourly_rate = money(
        models.DecimalField(
            _("hourly rate (₪)"),
            max_digits=10,
            decimal_places=2,
            validators=[MinValueValidator(Decimal("0"))],
        )
    )

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("rate card")
        verbose_name_plural = _("rate cards")

    def __str__(self):
        return f"{self.name} · ₪{self.hourly_rate}"

    def clean(self):
        if self.valid_to and self.valid_from and self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": _("The end date is before the start date.")})


class CostRate(KesherModel):
    """What an hour of an employee costs the business, for a range of dates (issue 20 item 5;
    decision 0116): the profitability of a project sets its hours' value against it. Kept
    apart from the rate cards (what the customer pays); an administrator sets it, and a field
    rule hides the cost from roles that must not see it, as the catalogue's cost price."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("employee"),
        on_delete=models.CASCADE,
        related_name="cost_rates",
        limit_choices_to=ACTIVE_USERS,
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    hourly_cost = money(
        models.DecimalField(
            _("hourly cost (₪)"),
            max_digits=10,
            decimal_places=2,
            validators=[MinValueValidator(Decimal("0"))],
            help_text=_("Salary and employer's costs for one hour of work."),
        )
    )
    notes = models.CharField(_("notes"), max_length=200, blank=True)

    class Meta:
        ordering = ["user", "-valid_from", "id"]
        verbose_name = _("cost rate")
        verbose_name_plural = _("cost rates")
        indexes = [models.Index(fields=["user", "valid_from"], name="cost_rate_user_from")]

    def __str__(self):
        return f"{self.user} · {self.valid_from:%d/%m/%Y}"

    def clean(self):
        if self.valid_to and self.valid_from and self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": _("The end date is before the start date.")})


class PayrollRule(KesherModel):
    """How reported hours become paid hours, from a date on (REQ PR-4, payroll): a daily
    threshold and a weekly one, the first overtime hours at one rate and the rest at another, and
    hours on the weekly rest day or a holiday at the rest-day rate. The defaults are those of
    Israel's Hours of Work and Rest Law, 1951 for a five-day week (8.6 h a day, 42 h a week; 125%
    for the first two overtime hours, 150% beyond; 150% on the rest day); the administrator
    changes them as data."""

    name = models.CharField(_("name"), max_length=100)
    valid_from = models.DateField(_("valid from"))
    daily_hours = models.DecimalField(
        _("daily hours before overtime"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("8.6"),
        validators=[MinValueValidator(Decimal("1")), MaxValueValidator(Decimal("24"))],
        help_text=_("8.6 on a five-day week, 8 on a six-day week."),
    )
    first_overtime_hours = models.DecimalField(
        _("first overtime hours"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("2"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("24"))],
    )
    first_overtime_percent = models.PositiveSmallIntegerField(
        _("first overtime hours (%)"), default=125, validators=[MaxValueValidator(500)]
    )
    further_overtime_percent = models.PositiveSmallIntegerField(
        _("further overtime hours (%)"), default=150, validators=[MaxValueValidator(500)]
    )
    rest_day_percent = models.PositiveSmallIntegerField(
        _("rest day and holiday hours (%)"), default=150, validators=[MaxValueValidator(500)]
    )
    weekly_hours = models.DecimalField(
        _("weekly hours before overtime"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("42"),
        validators=[MinValueValidator(Decimal("1")), MaxValueValidator(Decimal("168"))],
        help_text=_("42 by the law: a week's hours beyond them are overtime, whatever the day."),
    )

    class Meta:
        ordering = ["-valid_from", "id"]
        verbose_name = _("payroll rule")
        verbose_name_plural = _("payroll rules")

    def __str__(self):
        return self.name


class Allocation(KesherModel):
    """Hours a person is planned to work on a project in a week (REQ PR-3): the planning
    board adds them up against the week's capacity on the business calendar."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="allocations"
    )
    user = owner_fk("allocations", _("employee"), db_index=False)
    week = models.DateField(_("week (Sunday)"))
    hours = models.DecimalField(
        _("hours"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.25")), MaxValueValidator(Decimal("168"))],
    )
    notes = models.CharField(_("notes"), max_length=200, blank=True)

    class Meta:
        ordering = ["week", "id"]
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")
        indexes = [models.Index(fields=["user", "week"], name="allocation_user_week")]

    def __str__(self):
        return f"{self.user} · {self.project} · {self.week:%d/%m/%Y}"

    def clean(self):
        # Python's weekday(): Sunday is 6.
        if self.week and self.week.weekday() != 6:
            raise ValidationError({"week": _("Choose the Sunday that starts the week.")})


class Absence(KesherModel):
    """Days a person is away — vacation, sickness, reserve duty, personal; the kinds are an
    administrator's pick-list — whole or half days (issue 20 item 3; decision 0122). The
    planning board and utilisation take them off the person's capacity; the month's payroll
    shows them."""

    user = owner_fk("absences", _("employee"), db_index=False)
    kind = choice_fk("absence_kind", _("kind"), required=True)
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("to"))
    half_day = models.BooleanField(
        _("half days"),
        default=False,
        help_text=_("Each working day of the absence counts half a day."),
    )
    notes = models.CharField(_("notes"), max_length=200, blank=True)

    class Meta:
        ordering = ["-start_date", "id"]
        verbose_name = _("absence")
        verbose_name_plural = _("absences")
        indexes = [models.Index(fields=["user", "start_date"], name="absence_user_start")]

    def __str__(self):
        if self.start_date == self.end_date:
            return f"{self.user} · {self.start_date:%d/%m/%Y}"
        return f"{self.user} · {self.start_date:%d/%m/%Y}–{self.end_date:%d/%m/%Y}"

    def clean(self):
        if self.start_date and self.end_date:
            if self.end_date < self.start_date:
                raise ValidationError({"end_date": _("The end date is before the start date.")})
            if (self.end_date - self.start_date).days > 366:
                raise ValidationError({"end_date": _("An absence is at most a year long.")})


class ProjectTemplate(KesherModel):
    """How a project of a kind starts (REQ PR-1; decision 0106): its phases as sub-projects,
    the tasks made about it from task templates, its billing mode and budget in hours. The
    automation action "create a project from a template" makes one when a deal is won."""

    name = models.CharField(_("name"), max_length=200)
    phases = models.TextField(
        _("phases"),
        blank=True,
        help_text=_("One per line: each becomes a sub-project of the new project."),
    )
    task_templates = models.ManyToManyField(
        "activities.TaskTemplate",
        verbose_name=_("task templates"),
        blank=True,
        related_name="+",
        help_text=_("Each makes a task about the new project."),
    )
    stage = choice_fk("project_stage", _("stage"))
    billing_mode = choice_fk("project_billing_mode", _("billing mode"))
    budget_hours = models.DecimalField(
        _("budget (hours)"),
        max_digits=9,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("project template")
        verbose_name_plural = _("project templates")

    def __str__(self):
        return self.name

    def phase_names(self) -> list[str]:
        return [line.strip()[:200] for line in self.phases.splitlines() if line.strip()]


class RunningTimer(models.Model):
    """A clock a person started on a project — maybe on one of its tasks or tickets — from one
    click (REQ PR-2; decision 0116). One per person; kept in the database so that it runs on
    across page loads and devices. Stopping it makes a draft time entry of the minutes it ran
    (``services.timer_stop``)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("employee"),
        on_delete=models.CASCADE,
        related_name="running_timer",
    )
    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="+"
    )
    task = models.ForeignKey(
        "activities.Task",
        verbose_name=_("task"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    ticket = models.ForeignKey(
        "service.Ticket",
        verbose_name=_("ticket"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    description = models.CharField(_("description"), max_length=500, blank=True)
    billable = models.BooleanField(_("billable"), default=True)
    started_at = models.DateTimeField(_("started"))

    class Meta:
        verbose_name = _("running timer")
        verbose_name_plural = _("running timers")

    def __str__(self):
        return f"{self.user} · {self.project}"

    def elapsed_seconds(self, now=None) -> int:
        from django.utils import timezone

        return max(0, int(((now or timezone.now()) - self.started_at).total_seconds()))

    def elapsed_minutes(self, now=None) -> int:
        return self.elapsed_seconds(now) // 60

    @property
    def elapsed_text(self) -> str:
        """The time it has run as h:mm (the page's script ticks it on, decision 0122)."""
        minutes = self.elapsed_minutes()
        return f"{minutes // 60}:{minutes % 60:02d}"

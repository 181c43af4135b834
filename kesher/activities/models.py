"""Activities: interactions with customers, tasks, notifications, and business calendars.

REQ CU-3 (interaction log), TK-1 … TK-4, TK-8 (tasks, reminders, sub-tasks, delegation, SLA,
priority), TK-4 / DESIGN.md "Localization" (business calendars).
"""

from __future__ import annotations

import datetime
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kesher.activities.calendar import WorkWeek
from kesher.activities.messages import render
from kesher.platform.fields import ACTIVE_USERS, choice_fk, owner_fk
from kesher.platform.models import EntityQuerySet, KesherModel, WorkerProgress
from kesher.platform.records.links import link_choices

__all__ = [
    "ActivityPreferences",
    "AlertRule",
    "BusinessCalendar",
    "CallbackRun",
    "Interaction",
    "ManualAlert",
    "Notification",
    "Task",
    "TaskTemplate",
]


def link_fields():
    return (
        models.CharField(
            _("about (type)"), max_length=40, blank=True, choices=link_choices, default=""
        ),
        models.BigIntegerField(_("about (record)"), null=True, blank=True),
    )


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            _("Unknown time zone: use a name such as Asia/Jerusalem."), code="time_zone"
        ) from None


class BusinessCalendar(KesherModel):
    """When a company works: the clock SLAs, business-time tasks and time-based automation run
    on (REQ TK-4). One row without a company is the default for every company that has none of
    its own."""

    name = models.CharField(
        _("name"), max_length=100, blank=True, help_text=_("e.g. Sales, Friday mornings")
    )
    company = models.OneToOneField(
        "org.Company",
        verbose_name=_("company"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="business_calendar",
    )
    day_start = models.TimeField(_("working day starts"), default=datetime.time(8, 30))
    day_end = models.TimeField(_("working day ends"), default=datetime.time(17, 30))
    friday = models.BooleanField(_("works on Friday morning"), default=False)
    friday_end = models.TimeField(_("Friday ends"), default=datetime.time(13, 0))
    holidays = models.BooleanField(_("closed on Israeli holidays"), default=True)
    eve_short = models.BooleanField(_("short day on holiday eves"), default=True)
    eve_end = models.TimeField(_("holiday eve ends"), default=datetime.time(13, 0))
    time_zone = models.CharField(
        _("time zone"), max_length=60, default="Asia/Jerusalem", validators=[validate_time_zone]
    )

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        constraints = [
            models.UniqueConstraint(
                fields=["company"], name="one_default_calendar", nulls_distinct=False
            )
        ]

    def __str__(self):
        if self.name:
            return self.name
        return str(self.company) if self.company_id else str(_("Default business calendar"))

    def clean(self):
        if self.day_end <= self.day_start:
            raise ValidationError({"day_end": _("The working day must end after it starts.")})

    def week(self) -> WorkWeek:
        return WorkWeek(
            day_start=self.day_start,
            day_end=self.day_end,
            friday=self.friday,
            friday_end=self.friday_end,
            holidays=self.holidays,
            eve_short=self.eve_short,
            eve_end=self.eve_end,
            time_zone=self.time_zone,
        )


class ActivityQuerySet(EntityQuerySet):
    """``visible_to``: the record scope of the owner field, plus what the user takes part in
    and what is linked to a record the user may see (REQ OR-3)."""

    def visible_to(self, user):
        from kesher.activities.scope import activity_scope

        query = self.query
        plain = not (
            query.where
            or query.select_related
            or query.annotations
            or query.order_by
            or query.low_mark
            or query.high_mark is not None
            or query.deferred_loading[0]
        )
        if not plain or getattr(user, "pk", None) is None:
            return activity_scope(self, user)
        # A record page asks for the same scope several times (panels, figures, timeline):
        # built once per user object, then cloned (a clone never shares results).
        cache = user.__dict__.setdefault("_activity_scoped", {})
        if self.model not in cache:
            cache[self.model] = activity_scope(self, user)
        return cache[self.model]._chain()


class Interaction(KesherModel):
    """One contact with a customer: a call, an email, a meeting, a note, an SMS or a WhatsApp
    message, with who took part, when, which way and how it ended (REQ CU-3)."""

    class Direction(models.TextChoices):
        INBOUND = "in", _("Inbound")
        OUTBOUND = "out", _("Outbound")

    kind = choice_fk("interaction_kind", _("kind"), required=True)
    direction = models.CharField(
        _("direction"), max_length=3, choices=Direction.choices, blank=True
    )
    outcome = choice_fk("interaction_outcome", _("outcome"))
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("details"), blank=True)
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"), null=True, blank=True)
    occurred_at = models.DateTimeField(_("when"), default=timezone.now)
    participant_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("participants (users)"),
        blank=True,
        related_name="interactions_joined",
    )
    participant_contacts = models.ManyToManyField(
        "customers.Contact",
        verbose_name=_("participants (contacts)"),
        blank=True,
        related_name="interactions_joined",
    )
    link_type, link_id = link_fields()
    owner = owner_fk("owned_interactions")

    objects = ActivityQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        indexes = [
            models.Index(fields=["link_type", "link_id", "-occurred_at"], name="interaction_link"),
            models.Index(fields=["owner", "-occurred_at"], name="interaction_owner"),
            models.Index(fields=["-occurred_at", "-id"], name="interaction_when"),
        ]

    def __str__(self):
        return self.subject

    def clean(self):
        if bool(self.link_type) != (self.link_id is not None):
            raise ValidationError({"link_id": _("Choose both the kind of record and the record.")})


class Task(KesherModel):
    """Work someone must do by a time, maybe about a record: with a type (and its SLA in
    business hours), priority, reminder, sub-tasks, delegation and recurrence (REQ TK-1 … TK-4).

    ``is_open`` mirrors the status (a status value whose settings say ``closed`` closes the
    task) so that the worker's lookups among a million open tasks are partial-index scans.
    """

    class Recurrence(models.TextChoices):
        NONE = "", _("Does not repeat")
        DAILY = "daily", _("Daily")
        WEEKLY = "weekly", _("Weekly")
        MONTHLY = "monthly", _("Monthly")

    title = models.CharField(_("title"), max_length=200)
    notes = models.TextField(_("notes"), blank=True)
    task_type = choice_fk("task_type", _("task type"))
    priority = choice_fk("task_priority", _("priority"))
    status = choice_fk("task_status", _("status"), required=True)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    reminder_at = models.DateTimeField(_("reminder"), null=True, blank=True)
    sla_due_at = models.DateTimeField(_("SLA due"), null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_tasks",
        limit_choices_to=ACTIVE_USERS,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    delegated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("delegated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="delegated_tasks",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent task"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="subtasks",
    )
    close_with_subtasks = models.BooleanField(_("close when all sub-tasks are done"), default=False)
    recurrence = models.CharField(
        _("repeats"), max_length=10, choices=Recurrence.choices, blank=True, default=""
    )
    link_type, link_id = link_fields()
    # Set by the services from the status, never from a form (not in the entity's form fields).
    is_open = models.BooleanField(_("open"), default=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # Each is set once, by the worker that claimed the delivery (never twice, REQ TK-1).
    reminder_sent_at = models.DateTimeField(_("reminder sent"), null=True, blank=True)
    overdue_notified_at = models.DateTimeField(_("overdue notice sent"), null=True, blank=True)
    sla_notified_at = models.DateTimeField(_("SLA notice sent"), null=True, blank=True)

    objects = ActivityQuerySet.as_manager()

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        indexes = [
            # The worker's three lookups read only rows still waiting, in time order.
            models.Index(
                fields=["reminder_at"],
                name="task_reminder_due",
                condition=Q(is_open=True, reminder_sent_at__isnull=True, reminder_at__isnull=False),
            ),
            models.Index(
                fields=["due_at"],
                name="task_overdue_due",
                condition=Q(is_open=True, overdue_notified_at__isnull=True, due_at__isnull=False),
            ),
            models.Index(
                fields=["sla_due_at"],
                name="task_sla_due",
                condition=Q(is_open=True, sla_notified_at__isnull=True, sla_due_at__isnull=False),
            ),
            models.Index(fields=["assignee", "is_open", "due_at", "id"], name="task_assignee"),
            models.Index(fields=["delegated_by", "is_open", "due_at"], name="task_delegated"),
            models.Index(fields=["link_type", "link_id", "is_open"], name="task_link"),
            models.Index(fields=["due_at", "id"], name="task_due"),
        ]

    def __str__(self):
        return self.title

    def clean(self):
        errors = {}
        if bool(self.link_type) != (self.link_id is not None):
            errors["link_id"] = _("Choose both the kind of record and the record.")
        if self.parent_id and self.pk and self.parent_id == self.pk:
            errors["parent"] = _("A task cannot be its own sub-task.")
        if errors:
            raise ValidationError(errors)

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_at is not None and self.due_at <= timezone.now()

    @property
    def is_sla_breached(self) -> bool:
        if self.sla_due_at is None:
            return False
        end = timezone.now() if self.is_open else (self.closed_at or timezone.now())
        return self.sla_due_at < end


class Notification(models.Model):
    """A message to one user in the notifications center, maybe about a record (issue 4 item 5).

    ``message`` and ``params`` say what to tell, in the words of ``kesher.activities.messages``
    made when it is read (``display_text``), in the reader's language and time zone
    (decision 0042). Notifications made before keep their ``text``, in the language of then.
    """

    class Verb(models.TextChoices):
        REMINDER = "reminder", _("Reminder")
        OVERDUE = "overdue", _("Overdue")
        SLA = "sla", _("SLA breached")
        DONE = "done", _("Done")
        ASSIGNED = "assigned", _("Assigned to you")
        MEETING = "meeting", _("Meeting invitation")
        # Working together (kesher.collab): a note mentioning the user, news of what he follows.
        MENTION = "mention", _("Mentioned you")
        FOLLOWING = "following", _("Following")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    verb = models.CharField(_("kind"), max_length=12, choices=Verb.choices)
    text = models.CharField(_("text"), max_length=300, blank=True)
    message = models.CharField(_("message"), max_length=60, blank=True)
    params = models.JSONField(_("message details"), default=dict, blank=True)
    # Any registered entity, tasks included (unlike the link of an interaction or a task).
    link_type = models.CharField(_("about (type)"), max_length=40, blank=True)
    link_id = models.BigIntegerField(_("about (record)"), null=True, blank=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    # Emailed too (reminders, delegation news); claimed once by the worker that sends it.
    email_wanted = models.BooleanField(default=False)
    emailed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["user", "-created_at"], name="notification_user"),
            # The navbar's unread count reads only this user's unread rows.
            models.Index(
                fields=["user"], name="notification_unread", condition=Q(read_at__isnull=True)
            ),
            models.Index(
                fields=["created_at"],
                name="notification_email_due",
                condition=Q(email_wanted=True, emailed_at__isnull=True),
            ),
            # What is about a record: a person's data found and anonymized (issue 25,
            # decision 0078) reads notifications by their link among millions.
            models.Index(fields=["link_type", "link_id"], name="notification_link"),
        ]

    def __str__(self):
        return self.display_text

    @property
    def display_text(self) -> str:
        """What it says, in the active language and time zone."""
        if not self.message:
            return self.text
        return render(self.message, self.params)[:300]

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class AlertLevel(models.TextChoices):
    INFO = "info", _("Information")
    WARNING = "warning", _("Warning")
    DANGER = "danger", _("Important")


class AlertRule(KesherModel):
    """An administrator's rule: whoever opens a record that matches ``condition`` (the filter
    language, ``kesher.platform.lists.filterlang``) sees ``message`` in the alerts banner (issue 4
    item 6), e.g. "status = VIP" or "no contact for 90 days"."""

    name = models.CharField(_("name"), max_length=100)
    entity = models.CharField(
        _("records of"), max_length=40, choices=link_choices, default="accounts"
    )
    condition = models.JSONField(
        _("condition"),
        help_text=_(
            'In the filter language, e.g. {"field": "status", "op": "eq", "value": "vip"}.'
        ),
    )
    message = models.CharField(_("message"), max_length=300)
    level = models.CharField(
        _("level"), max_length=10, choices=AlertLevel.choices, default=AlertLevel.WARNING
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("alert rule")
        verbose_name_plural = _("alert rules")

    def __str__(self):
        return self.name


class ManualAlert(KesherModel):
    """An alert someone puts on one record by hand, shown in its banner until it expires."""

    message = models.CharField(_("message"), max_length=300)
    level = models.CharField(
        _("level"), max_length=10, choices=AlertLevel.choices, default=AlertLevel.WARNING
    )
    expires_at = models.DateTimeField(_("shown until"))
    link_type, link_id = link_fields()
    owner = owner_fk("+")

    objects = ActivityQuerySet.as_manager()

    class Meta:
        ordering = ["expires_at", "id"]
        verbose_name = _("manual alert")
        verbose_name_plural = _("manual alerts")
        indexes = [
            models.Index(fields=["link_type", "link_id", "expires_at"], name="manual_alert_link"),
        ]

    def __str__(self):
        return self.message

    def clean(self):
        if not self.link_type or self.link_id is None:
            raise ValidationError({"link_id": _("Choose the record the alert is about.")})


class ActivityPreferences(models.Model):
    """One user's calendar feed and digest settings (issue 4 items 4, 5; REQ OR-6).

    The feed's secret is stored only as its SHA-256 hash; revoking empties it.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="activity_preferences",
    )
    ical_token_hash = models.CharField(max_length=64, null=True, blank=True, unique=True)
    ical_created_at = models.DateTimeField(_("calendar link created"), null=True, blank=True)
    daily_digest = models.BooleanField(_("daily email digest of notifications"), default=False)
    # The day (in the user's time zone) the last digest was claimed for: once a day, at most.
    digest_sent_on = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = _("activity preferences")
        verbose_name_plural = _("activity preferences")

    def __str__(self):
        return str(self.user)


class CallbackRun(WorkerProgress, models.Model):
    """One "call back every customer not contacted for X days" run, in the worker, with its
    progress (REQ CU-9). Safe to run again: an account that already has an open call-back task
    gets no second one."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    days = models.PositiveIntegerField(_("days without contact"))
    # The list's filters when the run was asked for (owner, city...), applied again in the run.
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    total = models.PositiveIntegerField(_("accounts"), default=0)
    done = models.PositiveIntegerField(_("accounts handled"), default=0)
    created = models.PositiveIntegerField(_("tasks created"), default=0)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # Moved on with every batch: a run whose worker died stops moving and is started again.
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("call-back run")
        verbose_name_plural = _("call-back runs")

    def __str__(self):
        return f"{self.days} #{self.pk}"


class TaskTemplate(KesherModel):
    """A task that automation creates (REQ TK-5, SA-5): its type, title with merge fields such
    as ``{{name}}``, priority, when it is due (calendar or business time from its creation) and
    who gets it: the record's owner, someone with a role, a user, the owner's manager, or the
    next person of a department by turn or by fewest open tasks."""

    class AssigneeRule(models.TextChoices):
        OWNER = "owner", _("The record's owner")
        ROLE = "role", _("Someone with a role")
        USER = "user", _("A user")
        MANAGER = "manager", _("The owner's manager")
        ROUND_ROBIN = "round_robin", _("A department, in turn")
        LEAST_LOADED = "least_loaded", _("A department, fewest open tasks")

    class DueUnit(models.TextChoices):
        MINUTES = "minutes", _("minutes")
        HOURS = "hours", _("hours")
        DAYS = "days", _("days")

    name = models.CharField(_("name"), max_length=100)
    task_type = choice_fk("task_type", _("task type"))
    title = models.CharField(
        _("title"),
        max_length=200,
        help_text=_("Merge fields in double braces, e.g. Call {{name}} ({{phone}})."),
    )
    notes = models.TextField(_("description"), blank=True)
    priority = choice_fk("task_priority", _("priority"))
    due_offset = models.PositiveIntegerField(_("due after"), null=True, blank=True)
    due_unit = models.CharField(
        _("unit"), max_length=10, choices=DueUnit.choices, default=DueUnit.HOURS
    )
    due_business = models.BooleanField(_("in business time"), default=True)
    assignee_rule = models.CharField(
        _("assign to"), max_length=20, choices=AssigneeRule.choices, default=AssigneeRule.OWNER
    )
    assignee_role = models.ForeignKey(
        "org.Role",
        verbose_name=_("role"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    assignee_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to=ACTIVE_USERS,
    )
    assignee_department = models.ForeignKey(
        "org.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Round-robin state: who got the last task (set by the service, never from a form).
    last_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("last assigned (round robin)"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("task template")
        verbose_name_plural = _("task templates")

    def __str__(self):
        return self.name

    def clean(self):
        needs = {
            self.AssigneeRule.ROLE: ("assignee_role", _("Choose the role.")),
            self.AssigneeRule.USER: ("assignee_user", _("Choose the user.")),
            self.AssigneeRule.ROUND_ROBIN: ("assignee_department", _("Choose the department.")),
            self.AssigneeRule.LEAST_LOADED: ("assignee_department", _("Choose the department.")),
        }
        if self.assignee_rule in needs:
            name, message = needs[self.assignee_rule]
            if getattr(self, f"{name}_id") is None:
                raise ValidationError({name: message})

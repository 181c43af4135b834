"""Automation: rules an administrator defines ("when this happens, if that holds, do this"),
and the durable log of every run and each action's outcome (REQ AU-1, TK-5, TK-6, SA-5)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kesher.platform import stamps
from kesher.platform.models import (
    KesherModel,
    StampedQuerySet,
    WorkerProgress,
    entity_choices,
    localized,
)

__all__ = [
    "Button",
    "ButtonJob",
    "InstalledProcess",
    "Rule",
    "RuleActionResult",
    "RuleRun",
    "Wizard",
]


class Rule(KesherModel):
    """One automation rule on one entity: a trigger (kind and its settings), a condition in the
    filter language, conditions on what changed, and an ordered list of actions (REQ AU-1).

    ``actions`` is a JSON list of ``{"type": ..., <settings>}``; every part is validated by the
    services against the trigger and action registries, so the UI, the API and process
    templates get the same answers.
    """

    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    entity = models.CharField(_("records of"), max_length=40, choices=entity_choices)
    enabled = models.BooleanField(_("enabled"), default=True)
    order = models.PositiveIntegerField(_("order"), default=100)
    trigger_kind = models.CharField(_("trigger"), max_length=40)
    trigger_config = models.JSONField(_("trigger settings"), default=dict, blank=True)
    condition = models.JSONField(
        _("condition"),
        default=dict,
        blank=True,
        help_text=_('In the filter language, e.g. {"field": "city", "op": "eq", "value": "חיפה"}.'),
    )
    change_conditions = models.JSONField(
        _("conditions on the change"),
        default=list,
        blank=True,
        help_text=_('E.g. [{"field": "status", "from": "active", "to": "vip"}].'),
    )
    actions = models.JSONField(
        _("actions"),
        default=list,
        help_text=_('E.g. [{"type": "create_task", "template": 3}].'),
    )
    # The incoming-webhook secret, stored only as its SHA-256 hash (shown once when made).
    webhook_token_hash = models.CharField(
        _("webhook secret (hashed)"),
        max_length=64,
        null=True,
        blank=True,
        unique=True,
        editable=False,
    )
    # Time and idle triggers: the end of the window the worker scanned last.
    scanned_until = models.DateTimeField(_("scanned until"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = StampedQuerySet.as_manager()

    class Meta:
        ordering = ["entity", "order", "id"]
        verbose_name = _("automation rule")
        verbose_name_plural = _("automation rules")
        indexes = [models.Index(fields=["entity", "enabled", "order"], name="rule_entity")]

    def __str__(self):
        return self.name


# Every process keeps the compiled rules until a rule changes (kesher/automation/engine.py).
stamps.renew_on_change(stamps.AUTOMATION, Rule)


class RuleRun(models.Model):
    """One time a rule matched a record: what triggered it and how its actions went.

    A run is claimed by one worker at a time (``lease_until``); ``dedupe_key`` makes time-based
    firings idempotent, one per (rule, record, occurrence).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")
        STOPPED = "stopped", _("stopped")

    rule = models.ForeignKey(
        Rule, verbose_name=_("rule"), on_delete=models.CASCADE, related_name="runs"
    )
    entity = models.CharField(_("records of"), max_length=40)
    record_id = models.BigIntegerField(_("record"))
    trigger = models.CharField(_("trigger"), max_length=40)
    trigger_info = models.JSONField(_("what happened"), default=dict, blank=True)
    # The rule's actions when it matched: a later edit of the rule does not change this run.
    actions = models.JSONField(_("actions"), default=list)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    depth = models.PositiveSmallIntegerField(_("chain depth"), default=0)
    dedupe_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("matched"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # A pending run waits until then (a retry's back-off); a running one is its worker's until
    # ``lease_until``, after which another worker takes it over (the first one died).
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    # The button press that made it (a manual rule run from a button, decision 0108).
    job = models.ForeignKey(
        "ButtonJob",
        verbose_name=_("button run"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="runs",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("automation run")
        verbose_name_plural = _("automation runs")
        indexes = [
            models.Index(fields=["rule", "-created_at"], name="rule_run_rule"),
            models.Index(fields=["entity", "record_id", "-created_at"], name="rule_run_record"),
            # The worker's claim reads only runs still to do.
            models.Index(
                fields=["next_attempt_at"],
                name="rule_run_due",
                condition=Q(status__in=["pending", "running"]),
            ),
        ]

    def __str__(self):
        return f"{self.rule_id} #{self.pk}"


class RuleActionResult(models.Model):
    """The outcome of one action of a run. Written in the same transaction as the action's own
    writes, so a worker killed mid-action leaves neither (REQ AU-1; issue 5 item 8)."""

    class Outcome(models.TextChoices):
        PENDING = "pending", _("waiting")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    run = models.ForeignKey(
        RuleRun, verbose_name=_("run"), on_delete=models.CASCADE, related_name="results"
    )
    index = models.PositiveSmallIntegerField(_("step"))
    action_type = models.CharField(_("action"), max_length=40)
    outcome = models.CharField(
        _("outcome"), max_length=10, choices=Outcome.choices, default=Outcome.PENDING
    )
    detail = models.JSONField(_("result"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        ordering = ["run", "index"]
        verbose_name = _("action result")
        verbose_name_plural = _("action results")
        constraints = [
            models.UniqueConstraint(fields=["run", "index"], name="one_result_per_action")
        ]

    def __str__(self):
        return f"{self.run_id}/{self.index} {self.outcome}"


class InstalledProcess(models.Model):
    """A process template an administrator installed, and what it made (issue 5 item 6)."""

    key = models.CharField(_("process template"), max_length=60, unique=True)
    installed_at = models.DateTimeField(_("installed at"), default=timezone.now)
    installed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("installed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # {"choices": [ids of the pick-list values it added], "records": [[entity key, id], ...]}
    created = models.JSONField(_("what it made"), default=dict)

    class Meta:
        verbose_name = _("installed process")
        verbose_name_plural = _("installed processes")

    def __str__(self):
        return self.key


class Button(KesherModel):
    """A button an administrator adds to a record page and/or a list: pressed, it runs the
    actions of a rule with the "manual" trigger on that record, or on each selected one,
    after asking the questions it defines (REQ CX-7; decision 0108).

    ``questions`` is a JSON list of ``{"key", "label_he", "label_en", "type", "required",
    "choices": [{"value", "label_he", "label_en"}]}``; the answers reach the actions as
    ``{{answer.<key>}}``. Validated by ``kesher.automation.buttons``.
    """

    label_he = models.CharField(_("Hebrew label"), max_length=60)
    label_en = models.CharField(_("English label"), max_length=60, blank=True)
    entity = models.CharField(_("records of"), max_length=40, choices=entity_choices)
    rule = models.ForeignKey(
        Rule,
        verbose_name=_("rule to run"),
        on_delete=models.PROTECT,
        related_name="buttons",
        help_text=_("A rule of the same records with the trigger “pressing a button”."),
    )
    on_record = models.BooleanField(_("on the record's page"), default=True)
    on_list = models.BooleanField(_("on the list"), default=False)
    condition = models.JSONField(
        _("shown for records where"),
        default=dict,
        blank=True,
        help_text=_('In the filter language, e.g. {"field": "city", "op": "eq", "value": "חיפה"}.'),
    )
    roles = models.ManyToManyField(
        "org.Role",
        verbose_name=_("roles that see it"),
        blank=True,
        related_name="+",
        help_text=_("None chosen: everyone who may change these records."),
    )
    questions = models.JSONField(
        _("questions"),
        default=list,
        blank=True,
        help_text=_(
            'Asked before it runs, e.g. [{"key": "reason", "label_he": "סיבה", '
            '"label_en": "Reason", "type": "text", "required": true}].'
        ),
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    order = models.PositiveIntegerField(_("order"), default=100)

    objects = StampedQuerySet.as_manager()

    class Meta:
        ordering = ["entity", "order", "id"]
        verbose_name = _("button")
        verbose_name_plural = _("buttons")
        indexes = [models.Index(fields=["entity", "enabled", "order"], name="button_entity")]

    def __str__(self):
        return self.label

    @property
    def label(self) -> str:
        return localized(self, "label")


# Every process keeps the buttons of each entity until one changes (kesher/automation/buttons.py).
stamps.renew_on_change(stamps.AUTOMATION, Button)


class ButtonJob(WorkerProgress, models.Model):
    """One press of a button: who pressed it, on which records, with which answers, and how far
    the worker got in making a rule run for each (at most one per record; decision 0108).

    ``ids`` are the records asked for, sorted; ``done`` counts those handled, and advances in
    the same transaction as the runs it made, so a job resumed after a crash goes on from there.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    button = models.ForeignKey(
        Button, verbose_name=_("button"), on_delete=models.CASCADE, related_name="jobs"
    )
    entity = models.CharField(_("records of"), max_length=40)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("pressed by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    ids = models.JSONField(_("records"), default=list)
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    total = models.PositiveIntegerField(_("records"), default=0)
    done = models.PositiveIntegerField(_("processed"), default=0)
    queued = models.PositiveIntegerField(_("runs made"), default=0)
    skipped_count = models.PositiveIntegerField(_("skipped"), default=0)
    # The first records left out, with the reason: [{"id", "reason"}].
    skipped = models.JSONField(_("skipped records"), default=list, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="button_job_status")]
        verbose_name = _("button run")
        verbose_name_plural = _("button runs")

    def __str__(self):
        return f"{self.button_id} #{self.pk}"


class Wizard(KesherModel):
    """Screens that lead from one to the next — new customer → first contact → first deal →
    welcome task — each a form of one entity's fields; nothing is written until the last
    screen, which writes every record in one transaction through the entities' services
    (REQ CX-7; decision 0108).

    ``steps`` is a JSON list of ``{"entity", "title_he", "title_en", "fields": [...],
    "values": {field: value}, "links": {field: step number}}``; a link fills a field with the
    record an earlier step makes (``"link"`` for a task's or an interaction's "about").
    Validated by ``kesher.automation.wizards``.
    """

    name_he = models.CharField(_("Hebrew name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    description = models.TextField(_("description"), blank=True)
    steps = models.JSONField(_("steps"), default=list)
    roles = models.ManyToManyField(
        "org.Role",
        verbose_name=_("roles that see it"),
        blank=True,
        related_name="+",
        help_text=_("None chosen: everyone who may add the records of its steps."),
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    order = models.PositiveIntegerField(_("order"), default=100)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("wizard")
        verbose_name_plural = _("wizards")

    def __str__(self):
        return self.name

    @property
    def name(self) -> str:
        return localized(self, "name")

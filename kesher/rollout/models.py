"""Bringing Kesher into an organization, inside Kesher (REQ IMPL-1, IMPL-2, AU-2; issue 23):
the roll-out project with the seeds' stages and deliverables, the processes mapped by seed
000's six questions, and the training by role in the practice environment."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kesher.platform.models import KesherModel, localized

__all__ = [
    "Exercise",
    "ExerciseRecord",
    "HintSeen",
    "Item",
    "MappedProcess",
    "Project",
    "Stage",
]


class Project(models.Model):
    """The organization's one roll-out project (a single row): who leads it, its budget and
    schedule, and when Kesher went live (seed 004: "a work plan with the project lead, budget
    and schedule")."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("project lead"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    budget = models.DecimalField(
        _("budget (₪)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    go_live_on = models.DateField(_("planned go-live"), null=True, blank=True)
    notes = models.TextField(_("expectations and notes"), blank=True)
    # Users chosen for advanced training (seed 004: "advanced training for chosen users").
    advanced_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("advanced training for"),
        blank=True,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("roll-out project")
        verbose_name_plural = _("roll-out projects")

    def __str__(self):
        return str(_("Roll-out project"))


class Stage(KesherModel):
    """One stage of the roll-out method (seed 004): the work plan, processes, people, data,
    documents, training, cut-over. Data: administrators rename, reorder and add."""

    key = models.SlugField(_("key"), max_length=40, unique=True)
    name_he = models.CharField(_("Hebrew name"), max_length=120)
    name_en = models.CharField(_("English name"), max_length=120, blank=True)
    description_he = models.TextField(_("Hebrew description"), blank=True)
    description_en = models.TextField(_("English description"), blank=True)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("roll-out stage")
        verbose_name_plural = _("roll-out stages")

    def __str__(self):
        return localized(self, "name")


class Item(KesherModel):
    """One deliverable of a stage — a checklist line — with the screen that does it and, when
    Kesher can see it done, the check that ticks it (``detector``, from
    ``kesher.rollout.detectors``); otherwise an administrator ticks it."""

    stage = models.ForeignKey(
        Stage, verbose_name=_("stage"), on_delete=models.CASCADE, related_name="items"
    )
    key = models.SlugField(_("key"), max_length=40, unique=True)
    name_he = models.CharField(_("Hebrew name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    link = models.CharField(
        _("screen"),
        max_length=200,
        blank=True,
        help_text=_("The Kesher page that does it, e.g. /r/departments/."),
    )
    detector = models.CharField(
        _("ticks itself when"),
        max_length=40,
        blank=True,
        help_text=_("Empty: an administrator ticks it."),
    )
    order = models.PositiveIntegerField(_("order"), default=0)
    done_at = models.DateTimeField(_("ticked"), null=True, blank=True, editable=False)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ticked by"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["stage__order", "order", "id"]
        verbose_name = _("roll-out item")
        verbose_name_plural = _("roll-out items")

    def __str__(self):
        return localized(self, "name")

    def clean(self):
        from django.core.exceptions import ValidationError

        from kesher.rollout.detectors import detectors

        if self.detector and self.detector not in detectors():
            raise ValidationError({"detector": _("No such check.")})


class MappedProcess(models.Model):
    """A process of the organization mapped by seed 000's six questions, and what turned it into
    Kesher: ticket statuses or a pipeline's stages, roles, task and e-mail templates, rules —
    installed by the process-template installer (decision 0089) under ``install_key``."""

    class Target(models.TextChoices):
        TICKETS = "tickets", _("ticket statuses")
        OPPORTUNITIES = "opportunities", _("a sales pipeline's stages")

    name = models.CharField(_("process"), max_length=120)
    target = models.CharField(
        _("runs on"), max_length=20, choices=Target.choices, default=Target.TICKETS
    )
    # 1. Who owns the process?
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("process owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    owner_note = models.CharField(_("the owner's part"), max_length=300, blank=True)
    # 2. Who contributes from outside (suppliers, the customer)?
    contributors = models.TextField(_("contributors"), blank=True)
    # 3. The internal parties and their roles: [{"key", "name_he", "name_en", "like", "duty"}].
    parties = models.JSONField(_("internal parties and their roles"), default=list, blank=True)
    # 4. The stages: [{"value", "label_he", "label_en"}], in order.
    stages = models.JSONField(_("stages"), default=list, blank=True)
    # 5. Triggers: [{"on": "created" | a stage's value, "do": "task" | "email",
    #    "party": a party's key (a task), "title": text, "hours": due in business hours}].
    triggers = models.JSONField(_("triggers and automatic actions"), default=list, blank=True)
    # 6. Links to other processes.
    links = models.TextField(_("links to other processes"), blank=True)
    install_key = models.CharField(_("installed as"), max_length=60, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("mapped process")
        verbose_name_plural = _("mapped processes")

    def __str__(self):
        return self.name


class Exercise(KesherModel):
    """A training exercise for one role (or everyone), done in the practice environment
    (REQ IMPL-2). ``detector`` names what Kesher can see there when it is done ("create:accounts":
    the user created an account); otherwise the user marks it and an administrator confirms."""

    role = models.ForeignKey(
        "org.Role",
        verbose_name=_("role"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("Empty: every user."),
    )
    title_he = models.CharField(_("Hebrew title"), max_length=200)
    title_en = models.CharField(_("English title"), max_length=200, blank=True)
    steps_he = models.TextField(_("Hebrew instructions"), blank=True)
    steps_en = models.TextField(_("English instructions"), blank=True)
    link = models.CharField(_("screen"), max_length=200, blank=True)
    detector = models.CharField(
        _("done when the user created"),
        max_length=40,
        blank=True,
        help_text=_("An entity key, e.g. accounts: done when the user created one in practice."),
    )
    advanced = models.BooleanField(_("advanced"), default=False)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["advanced", "order", "id"]
        verbose_name = _("training exercise")
        verbose_name_plural = _("training exercises")

    def __str__(self):
        return localized(self, "title")

    @property
    def steps(self) -> str:
        return localized(self, "steps")

    def clean(self):
        from django.core.exceptions import ValidationError

        from kesher.platform.registry import registry

        if self.detector and self.detector not in registry:
            raise ValidationError({"detector": _("No such kind of record.")})


class ExerciseRecord(models.Model):
    """One user's progress on one exercise: marked done by the user, seen done in the practice
    environment, and confirmed by an administrator."""

    exercise = models.ForeignKey(
        Exercise, verbose_name=_("exercise"), on_delete=models.CASCADE, related_name="records"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    marked_at = models.DateTimeField(_("marked done"), null=True, blank=True)
    detected_at = models.DateTimeField(_("seen done in practice"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("exercise progress")
        verbose_name_plural = _("exercise progress")
        constraints = [
            models.UniqueConstraint(fields=["exercise", "user"], name="rollout_exercise_user")
        ]

    def __str__(self):
        return f"{self.exercise} · {self.user}"

    @property
    def done(self) -> bool:
        return bool(self.confirmed_at or self.detected_at)


class HintSeen(models.Model):
    """A first-use hint a user dismissed: shown on a module's pages until then (REQ IMPL-2)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    module = models.CharField(_("module"), max_length=40)
    seen_at = models.DateTimeField(_("dismissed"), default=timezone.now)

    class Meta:
        verbose_name = _("dismissed hint")
        verbose_name_plural = _("dismissed hints")
        constraints = [
            models.UniqueConstraint(fields=["user", "module"], name="rollout_hint_user_module")
        ]

    def __str__(self):
        return self.module

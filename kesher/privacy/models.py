"""Privacy by Israeli law (REQ OR-8, OR-5; issue 25; ISRAEL.md "Personal data"): the access log
and the requests people make about their data.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kesher.platform.fields import owner_fk
from kesher.platform.models import KesherModel, entity_choices

__all__ = [
    "AccessAction",
    "AccessEntry",
    "AppendOnlyError",
    "RequestKind",
    "RetentionAction",
    "RetentionRule",
    "RetentionRun",
    "SecurityAssessment",
    "SecurityIncident",
    "SecurityLevel",
    "SubjectRequest",
]


class AppendOnlyError(ValidationError):
    """Raised by any attempt to change or remove an access-log entry."""


def _refuse(*args, **kwargs):
    raise AppendOnlyError(_("The access log cannot be changed or deleted."), code="append_only")


class AccessAction(models.TextChoices):
    READ = "read", _("read a record")
    LIST = "list", _("listed records")
    SEARCH = "search", _("searched")
    EXPORT = "export", _("exported")
    CHANGE = "change", _("changed")
    REPORT = "report", _("ran a report")


class AccessEntryQuerySet(models.QuerySet):
    """Rows are only added: ``update`` and ``delete`` refuse, as ``save`` of a stored row and
    ``delete`` of one do (the regulations keep the log at least 24 months, unaltered)."""

    update = _refuse
    delete = _refuse
    _raw_delete = _refuse


class AccessEntry(models.Model):
    """One thing a user did with personal data: who, when, what was done (``action``), on
    which record (``entity`` and ``record_id``; an export of a list: ``records``), page or API.
    Ids and the action only, never the values shown (Data Security Regulations 2017, §10)."""

    at = models.DateTimeField(_("when"), default=timezone.now)
    # A plain column, no constraint: the log outlives a user's row and is never cascaded. No
    # index of its own: ``access_user`` leads with it (one b-tree less for every page read).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=8, choices=AccessAction.choices)
    entity = models.CharField(_("kind of record"), max_length=40)
    record_id = models.BigIntegerField(_("record"), null=True, blank=True)
    # An export of a list: the records the file held, as id runs ("1-40,42"; "" none). Empty
    # (NULL) in the entries written before it was kept, which may have held any.
    records = models.TextField(_("records exported"), null=True, blank=True)  # noqa: DJ001
    api = models.BooleanField(_("through the API"), default=False)

    objects = AccessEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        indexes = [
            models.Index(fields=["entity", "record_id", "-at"], name="access_record"),
            models.Index(fields=["user", "-at"], name="access_user"),
            models.Index(fields=["-at", "-id"], name="access_at"),
        ]

    def __str__(self):
        return (
            f"{self.at:%Y-%m-%d %H:%M} {self.user_id} {self.action} {self.entity}:{self.record_id}"
        )

    def save(self, *args, **kwargs):
        if not self._state.adding:
            _refuse()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        _refuse()


class RequestKind(models.TextChoices):
    """What a person asks of his data (Privacy Protection Law §13, §14)."""

    ACCESS = "access", _("See the data")
    CORRECTION = "correction", _("Correct the data")
    DELETION = "deletion", _("Delete the data")


class RequestStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ANSWERED = "answered", _("Answered")
    ANONYMIZED = "anonymized", _("Anonymized")
    REFUSED = "refused", _("Refused")


# The law gives 30 days to answer a request to see one's data (§13, regulations of 1981).
ANSWER_DAYS = 30


class SubjectRequest(KesherModel):
    """A person's request about the data Kesher holds on him, tracked to its due date: to see
    it, correct it or delete it (REQ OR-8, issue 25 item 2)."""

    # A contact or a lead (``clean``) when made; a person deleted afterwards leaves his
    # request on record.
    contact = models.ForeignKey(
        "customers.Contact",
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="subject_requests",
    )
    # Or a lead, for a person who never became a contact (a request may name either; a lead
    # converted since is answered as the contact it became).
    lead = models.ForeignKey(
        "sales.Lead",
        verbose_name=_("lead"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="subject_requests",
    )
    kind = models.CharField(_("request"), max_length=12, choices=RequestKind.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=RequestStatus.choices, default=RequestStatus.OPEN
    )
    received_on = models.DateField(_("received on"), default=timezone.localdate)
    # Blank: 30 days from its receipt (the service fills it in); an officer may set another.
    due_on = models.DateField(_("due on"), null=True, blank=True)
    owner = owner_fk("privacy_requests", _("handled by"))
    notes = models.TextField(_("notes"), blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True, editable=False)
    # What anonymizing did, by kind of record: {"anonymized": {key: n}, "kept": [{...}]}.
    outcome = models.JSONField(_("outcome"), default=dict, blank=True, editable=False)

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("data-subject request")
        verbose_name_plural = _("data-subject requests")
        indexes = [models.Index(fields=["status", "due_on"], name="subject_request_due")]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk or ''}"

    def clean(self):
        if self._state.adding and not (self.contact_id or self.lead_id):
            raise ValidationError({"contact": _("Choose the person: a contact or a lead.")})


class Severity(models.TextChoices):
    """The regulations' distinction: a serious incident is reported to the Authority."""

    MINOR = "minor", _("Minor")
    SERIOUS = "serious", _("Serious")


class SecurityIncident(KesherModel):
    """A security incident in the register the Data Security Regulations 2017 ask for (§11):
    what happened, when, which records it touched, and whether — and when — it was reported to
    the Privacy Protection Authority (issue 25 item 4)."""

    title = models.CharField(_("what happened"), max_length=200)
    occurred_at = models.DateTimeField(_("occurred at"), default=timezone.now)
    discovered_at = models.DateTimeField(_("discovered at"), null=True, blank=True)
    severity = models.CharField(
        _("severity"), max_length=8, choices=Severity.choices, default=Severity.MINOR
    )
    records_affected = models.PositiveIntegerField(_("records affected"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True)
    measures = models.TextField(_("measures taken"), blank=True)
    reported = models.BooleanField(_("reported to the Privacy Protection Authority"), default=False)
    reported_on = models.DateField(_("reported on"), null=True, blank=True)
    owner = owner_fk("security_incidents", _("handled by"))

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("security incident")
        verbose_name_plural = _("security incidents")
        indexes = [models.Index(fields=["-occurred_at", "-id"], name="security_incident_when")]

    def __str__(self):
        return self.title

    def clean(self):
        if self.reported_on and not self.reported:
            raise ValidationError(
                {"reported": _("An incident with a report date was reported: tick it.")}
            )


class RetentionAction(models.TextChoices):
    DELETE = "delete", _("Delete")
    ANONYMIZE = "anonymize", _("Anonymize")


class RetentionRule(KesherModel):
    """How long one kind of record is kept (REQ OR-8, issue 25 item 3; Privacy Protection Law:
    no data beyond its purpose): the records of ``entity`` that match ``condition`` (the filter
    language of saved views) and whose ``age_field`` is older than ``age_months`` are deleted or
    anonymized by the worker, at most once a day, in batches. Records the law keeps
    (``Entity.retained_by_law``) are never deleted: anonymized around their kept fields."""

    name = models.CharField(_("name"), max_length=200)
    entity = models.CharField(_("records of"), max_length=40, choices=entity_choices)
    condition = models.JSONField(
        _("condition"),
        default=dict,
        blank=True,
        help_text=_(
            'In the filter language of saved views, e.g. {"field": "converted_at", '
            '"op": "empty"}; empty: every record old enough.'
        ),
    )
    age_field = models.CharField(
        _("age counted from"),
        max_length=60,
        default="created_at",
        help_text=_("A date field of the records, e.g. created_at."),
    )
    age_months = models.PositiveIntegerField(
        _("kept for (months)"), validators=[MinValueValidator(1)]
    )
    action = models.CharField(
        _("then"), max_length=10, choices=RetentionAction.choices, default=RetentionAction.DELETE
    )
    active = models.BooleanField(_("active"), default=False)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("retention rule")
        verbose_name_plural = _("retention rules")

    def __str__(self):
        return self.name

    def clean(self):
        from kesher.privacy.retention import check_rule

        check_rule(self)


class RetentionRun(models.Model):
    """One day's run of a retention rule, written by the worker batch by batch: how many records
    it deleted and anonymized, and how many the law kept (anonymized around their kept fields).
    ``last_id``: where the next batch starts; ``finished_at``: the day's run is over."""

    rule = models.ForeignKey(
        RetentionRule, verbose_name=_("rule"), on_delete=models.CASCADE, related_name="runs"
    )
    day = models.DateField(_("day"), default=timezone.localdate)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    deleted = models.PositiveIntegerField(_("deleted"), default=0)
    anonymized = models.PositiveIntegerField(_("anonymized"), default=0)
    kept = models.PositiveIntegerField(_("kept by law"), default=0)
    # Records another record protects from deletion (e.g. a contact on an issued invoice).
    blocked = models.PositiveIntegerField(_("could not be deleted"), default=0)
    last_id = models.BigIntegerField(_("last record"), default=0, editable=False)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("retention run")
        verbose_name_plural = _("retention runs")
        constraints = [
            models.UniqueConstraint(fields=["rule", "day"], name="retention_run_once_a_day")
        ]

    def __str__(self):
        return f"{self.rule} {self.day:%Y-%m-%d}"


class SecurityLevel(models.TextChoices):
    """The security levels of the Data Security Regulations 2017 (First Schedule)."""

    BASIC = "basic", _("Basic")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class SecurityAssessment(KesherModel):
    """The organization's self-assessment of its database under the Data Security Regulations
    2017 (issue 25 item 4): the facts that set its security level (how many people, how many
    authorized users, public body, data passed on to others, sensitive data), the level they
    give (``level``, derived by the service: ``kesher.privacy.assessment``), which of the
    level's measures are in place, and when it is reviewed next. The thresholds of the
    regulations are stored on each assessment, so an administrator changes them as data."""

    assessed_on = models.DateField(_("assessed on"), default=timezone.localdate)
    # Blank: the service counts them when the assessment is made.
    people = models.PositiveIntegerField(
        _("people in the database"),
        null=True,
        blank=True,
        help_text=_("Blank: the number of contacts in Kesher."),
    )
    authorized_users = models.PositiveIntegerField(
        _("authorized users"),
        null=True,
        blank=True,
        help_text=_("Blank: the number of active users of Kesher."),
    )
    public_body = models.BooleanField(_("the owner is a public body"), default=False)
    passes_to_others = models.BooleanField(
        _("its main purpose is passing data to others"), default=False
    )
    sensitive_data = models.BooleanField(
        _("it holds sensitive data"),
        default=False,
        help_text=_(
            "Health, genetic, political or religious views, criminal record, communication "
            "data, biometric, a person's assets, debts or consumption habits…"
        ),
    )
    people_threshold = models.PositiveIntegerField(
        _("people from whom the level is high"), default=100_000
    )
    users_threshold = models.PositiveIntegerField(
        _("authorized users above whom the level is high"), default=100
    )
    level = models.CharField(
        _("security level"),
        max_length=8,
        choices=SecurityLevel.choices,
        default=SecurityLevel.BASIC,
        editable=False,
    )
    # The measures the regulations ask for, as the assessor found them.
    definitions_document = models.BooleanField(
        _("the database definitions document is up to date (§2)"), default=False
    )
    security_procedure = models.BooleanField(
        _("a data security procedure is written (§4)"), default=False
    )
    authorizations_reviewed = models.BooleanField(
        _("users' authorizations were reviewed (§8)"), default=False
    )
    log_reviewed = models.BooleanField(
        _("the access log is reviewed regularly (§10)"), default=False
    )
    backups_checked = models.BooleanField(
        _("backups are kept and their restore was checked (§18)"), default=False
    )
    audit_done = models.BooleanField(
        _("an audit was done in the last 24 months (§16)"), default=False
    )
    risk_survey_done = models.BooleanField(
        _("a risk survey and penetration tests in the last 18 months (§5)"), default=False
    )
    findings = models.TextField(_("findings and plan"), blank=True)
    # Blank: a year after the assessment (the definitions document is reviewed yearly).
    next_review_on = models.DateField(_("next review"), null=True, blank=True)
    owner = owner_fk("security_assessments", _("assessed by"))

    class Meta:
        ordering = ["-assessed_on", "-id"]
        verbose_name = _("security self-assessment")
        verbose_name_plural = _("security self-assessments")

    def __str__(self):
        return f"{self.assessed_on:%Y-%m-%d} · {self.get_level_display()}"

"""What every domain uses: the versioned base model, pick-lists, tags, audit, search, files."""

import uuid
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kesher.platform import stamps
from kesher.platform.fields import RoleKeysField, SectionNameField

__all__ = [
    "Attachment",
    "AuditEntry",
    "BulkJob",
    "Choice",
    "CustomField",
    "EntityQuerySet",
    "FieldRule",
    "KesherModel",
    "SavedView",
    "SchemaStamp",
    "SearchToken",
    "StampedQuerySet",
    "Tag",
    "WorkerHeartbeat",
    "WorkerProgress",
    "entity_choices",
    "localized",
]


class EntityQuerySet(models.QuerySet):
    """QuerySet of a registered entity: ``visible_to(user)`` is the one way to scope reads."""

    def visible_to(self, user):
        from kesher.platform.access import scope_queryset

        return scope_queryset(self, user)


class StampedQuerySet(EntityQuerySet):
    """Set-based writes to rows other processes cache renew their model's stamp (stamps.py);
    saves and deletes do it through signals. ``stamps.renew_on_change`` names the stamp."""

    def _renew(self):
        # Every model with this queryset names its stamp (stamps.renew_on_change).
        stamps.renew(self.model.schema_stamp)  # type: ignore[attr-defined]

    def update(self, **kwargs):
        self._renew()
        return super().update(**kwargs)

    def bulk_create(self, objs, *args, **kwargs):
        self._renew()
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, *args, **kwargs):
        self._renew()
        return super().bulk_update(objs, *args, **kwargs)


class KesherModel(models.Model):
    """Base of every editable record: timestamps, an optimistic-lock version, custom values."""

    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now, editable=False)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    custom = models.JSONField(_("custom fields"), default=dict, blank=True, editable=False)

    objects = EntityQuerySet.as_manager()

    class Meta:
        abstract = True


def localized(obj, base: str) -> str:
    """``obj.<base>_he`` or ``obj.<base>_en`` by the active language, falling back to Hebrew."""
    lang = (get_language() or "he")[:2]
    return getattr(obj, f"{base}_{lang}", "") or getattr(obj, f"{base}_he", "")


class Choice(models.Model):
    """One value of an admin-editable pick-list (industry, source, status, relationship type...).

    ``parent`` ties a dependent list's value to its parent list's value (REQ CX-6).
    """

    list_key = models.SlugField(_("list"), max_length=64)
    value = models.SlugField(_("value"), max_length=64, allow_unicode=True)
    label_he = models.CharField(_("Hebrew label"), max_length=200)
    label_en = models.CharField(_("English label"), max_length=200, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent value"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    order = models.PositiveIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)
    colour = models.CharField(_("colour"), max_length=20, blank=True)
    extra = models.JSONField(_("settings"), default=dict, blank=True)

    objects = EntityQuerySet.as_manager()
    # The columns its name reads: a list joining it for a column loads only these (tables.py).
    title_fields = ("label_he", "label_en")

    class Meta:
        ordering = ["list_key", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["list_key", "value"], name="choice_unique_value")
        ]
        verbose_name = _("pick-list value")
        verbose_name_plural = _("pick-list values")

    def __str__(self):
        return self.label

    @property
    def label(self) -> str:
        return localized(self, "label")


class Tag(models.Model):
    """A free label on records (add/remove in bulk, filter by)."""

    name = models.CharField(_("name"), max_length=60, unique=True)
    colour = models.CharField(_("colour"), max_length=20, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self):
        return self.name


class AuditEntry(models.Model):
    """Who changed what and when, with old and new values, for every record write."""

    class Action(models.TextChoices):
        CREATE = "create", _("created")
        UPDATE = "update", _("updated")
        DELETE = "delete", _("deleted")
        ATTACH = "attach", _("file attached")

    # audit_record (content type, object, time) serves every lookup by content type too.
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, db_index=False)
    object_id = models.BigIntegerField()
    object_repr = models.CharField(max_length=300)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=10, choices=Action.choices)
    changes = models.JSONField(default=dict)
    # ``(label, old, new)`` texts for the reader, set by ``records.history.describe``.
    rows: list[tuple[str, str, str]]
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["content_type", "object_id", "-at"], name="audit_record")]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_repr}"


class SearchToken(models.Model):
    """One searchable token of a record: a name word, an email, or reversed phone digits.

    Every lookup is a prefix match on ``token``, which both SQLite and PostgreSQL answer from an
    index; phone suffixes become prefixes by storing the digits reversed.
    """

    class Kind(models.IntegerChoices):
        WORD = 1
        EMAIL = 2
        PHONE = 3

    entity = models.CharField(max_length=40)
    object_id = models.BigIntegerField()
    kind = models.PositiveSmallIntegerField(choices=Kind.choices)
    token = models.CharField(max_length=80)

    class Meta:
        indexes = [
            # Every search reads one entity's tokens of a kind by prefix and wants their
            # object ids: this index answers it alone, with no table lookups (bench/README.md).
            models.Index(
                fields=["entity", "kind", "token", "object_id"],
                name="search_entity_token",
                opclasses=["", "", "varchar_pattern_ops", ""],
            ),
            models.Index(fields=["entity", "object_id"], name="search_record"),
        ]

    def __str__(self):
        return f"{self.entity}:{self.object_id}:{self.token}"


def attachment_path(instance, filename):
    # The stored name is random: the user's file name never reaches the file system.
    return f"attachments/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{PurePath(filename).suffix[:10]}"


class Attachment(models.Model):
    """A file attached to any record (REQ CU-6); always downloaded, never rendered inline."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.BigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    file = models.FileField(upload_to=attachment_path, max_length=300)
    name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"))
    mime_type = models.CharField(max_length=120)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-uploaded_at"]
        indexes = [models.Index(fields=["content_type", "object_id"], name="attachment_record")]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self):
        return self.name


class WorkerHeartbeat(models.Model):
    """The last tick of the task worker, reported by ``/healthz``."""

    name = models.CharField(max_length=40, unique=True)
    last_seen = models.DateTimeField()

    def __str__(self):
        return f"{self.name} @ {self.last_seen:%H:%M:%S}"


class SchemaStamp(models.Model):
    """A token replaced, in the same transaction, by every change to what administrators
    define (custom fields, field rules), so each process knows when its cached copy is stale
    (``kesher/platform/stamps.py``)."""

    name = models.CharField(max_length=40, primary_key=True)
    token = models.CharField(max_length=32)

    def __str__(self):
        return f"{self.name}: {self.token}"


def entity_choices():
    """The registered entities, for fields that name one (evaluated when used, not imported)."""
    from kesher.platform.registry import registry

    return [(e.key, e.label_plural) for e in registry.all()]


class CustomField(models.Model):
    """An admin-defined field of one entity; values live in the record's ``custom`` JSON column.

    One definition turns into every surface: form field, detail row, list column, filter,
    API key in ``custom_fields``, validator (REQ CX-1, CX-2).
    """

    class Type(models.TextChoices):
        TEXT = "text", _("Text")
        LONG_TEXT = "long_text", _("Long text")
        INTEGER = "integer", _("Whole number")
        DECIMAL = "decimal", _("Decimal number")
        MONEY = "money", _("Money")
        DATE = "date", _("Date")
        DATETIME = "datetime", _("Date and time")
        BOOLEAN = "boolean", _("Yes / no")
        CHOICE = "choice", _("Pick-list")
        MULTI_CHOICE = "multi_choice", _("Pick-list, several values")
        USER = "user", _("User")
        LINK = "link", _("Link to a record")
        EMAIL = "email", _("Email")
        PHONE = "phone", _("Phone")
        URL = "url", _("Web address")
        ISRAELI_ID = "israeli_id", _("Israeli ID number")
        COMPANY_NUMBER = "company_number", _("Company number")

    entity = models.CharField(_("entity"), max_length=40, choices=entity_choices)
    key = models.SlugField(
        _("key"),
        max_length=40,
        help_text=_("Lowercase English letters, digits and underscores; used by the API."),
    )
    label_he = models.CharField(_("Hebrew label"), max_length=100)
    label_en = models.CharField(_("English label"), max_length=100, blank=True)
    help_he = models.CharField(_("Hebrew help text"), max_length=300, blank=True)
    help_en = models.CharField(_("English help text"), max_length=300, blank=True)
    type = models.CharField(_("type"), max_length=20, choices=Type.choices)
    choice_list = models.SlugField(_("pick-list"), max_length=64, blank=True)
    allow_free_text = models.BooleanField(_("allow values outside the list"), default=False)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("depends on"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dependents",
    )
    link_entity = models.CharField(
        _("linked entity"), max_length=40, blank=True, choices=entity_choices
    )
    required = models.BooleanField(_("required"), default=False)
    default = models.JSONField(_("default value"), null=True, blank=True)
    section = models.CharField(_("section"), max_length=100, blank=True)
    order = models.PositiveIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)
    indexed = models.BooleanField(_("indexed"), default=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    objects = StampedQuerySet.as_manager()

    class Meta:
        ordering = ["entity", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["entity", "key"], name="custom_field_unique_key")
        ]
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")

    def __str__(self):
        return self.label

    @property
    def label(self) -> str:
        return localized(self, "label")

    def clean(self):
        from kesher.platform.customfields.schema import check_custom_field

        check_custom_field(self)


class SavedViewQuerySet(models.QuerySet):
    def for_user(self, user):
        """The user's own views and every shared one."""
        return self.filter(models.Q(owner=user) | models.Q(shared=True))


class SavedView(models.Model):
    """A named list view: filter, columns and sort of one entity, personal or shared.

    Later modules use a saved view as a segment (marketing, automation, reports) through
    ``filterlang.apply_filter`` (REQ CU-1 segmentation, CX-8).
    """

    entity = models.CharField(_("entity"), max_length=40, choices=entity_choices)
    name = models.CharField(_("name"), max_length=100)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views"
    )
    shared = models.BooleanField(_("shared with everyone"), default=False)
    filter = models.JSONField(_("filter"), default=dict, blank=True)
    columns = models.JSONField(_("columns"), default=list, blank=True)
    sort = models.CharField(_("sort"), max_length=80, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = SavedViewQuerySet.as_manager()

    class Meta:
        ordering = ["entity", "name"]
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")

    def __str__(self):
        return self.name


class WorkerProgress:
    """What a page shows of a worker's job: whether it ended, and how far it got (never 100%
    before it is done). The model has ``status`` (with DONE and FAILED), ``done`` and ``total``."""

    # What the model brings, declared for the type checker.
    status: str
    Status: Any  # the model's choices: DONE and FAILED among them
    done: int
    total: int

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return min(99, int(self.done * 100 / self.total)) if self.total else 0


class BulkJob(models.Model):
    """A bulk action over many records of one entity, run in chunks by the worker (REQ IM-4).

    ``cursor`` is the last primary key processed; it advances in the same transaction as each
    chunk's writes, so a job re-run after a crash resumes where it stopped and never applies a
    chunk twice.
    """

    class Action(models.TextChoices):
        UPDATE = "update", _("Update a field")
        ASSIGN_OWNER = "assign_owner", _("Assign an owner")
        # On a many-to-many field: a tag, a company, a participant (``bulk.actions.link_fields``).
        ADD_LINK = "add_link", _("Add a link")
        REMOVE_LINK = "remove_link", _("Remove a link")
        DELETE = "delete", _("Delete")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    entity = models.CharField(_("entity"), max_length=40)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    # What to do: {"field": ..., "value": ...} as the caller sent it (for a link, the
    # many-to-many field and the id of the record to link or unlink).
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    # Which records: {"ids": [...]} and/or {"filter": {...}}, simple list filters, search hits.
    target = models.JSONField(_("records"), default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    total = models.PositiveIntegerField(_("records"), default=0)
    done = models.PositiveIntegerField(_("processed"), default=0)
    updated = models.PositiveIntegerField(_("changed"), default=0)
    unchanged = models.PositiveIntegerField(_("already so"), default=0)
    rejected_count = models.PositiveIntegerField(_("rejected"), default=0)
    # The first rejected records with their reasons: [{"id", "record", "errors", "message"}].
    rejected = models.JSONField(_("rejected records"), default=list, blank=True)
    cursor = models.BigIntegerField(default=0)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="bulk_job_status")]
        verbose_name = _("bulk action")
        verbose_name_plural = _("bulk actions")

    def __str__(self):
        return f"{self.entity} {self.action} #{self.pk}"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return min(100, self.done * 100 // self.total) if self.total else 0


class FieldRule(models.Model):
    """A rule an administrator sets on one field of an entity, built-in or custom
    (``custom.<key>``): required always or at some statuses, read-only for some roles, a mask,
    hidden from some roles. A rule may name a whole section of the record's page instead of a
    field; it then only hides the section's fields.

    Enforced by the services, so forms, the API and the importer answer the same
    (REQ CX-3, CX-5, SV-4, CX-9); what is hidden is hidden everywhere
    (``kesher/platform/visibility.py``, decision 0047).
    """

    class Validator(models.TextChoices):
        NONE = "", _("None")
        ISRAELI_ID = "israeli_id", _("Israeli ID number")
        COMPANY_NUMBER = "company_number", _("Company number")
        PHONE = "phone", _("Phone")
        EMAIL = "email", _("Email")
        URL = "url", _("Web address")
        REGEX = "regex", _("Regular expression")

    entity = models.CharField(_("entity"), max_length=40, choices=entity_choices)
    field = models.CharField(
        _("field"),
        max_length=80,
        blank=True,
        help_text=_("A field name, or custom.<key> for a custom field; empty for a section."),
    )
    section = SectionNameField(
        _("section"),
        max_length=100,
        blank=True,
        help_text=_("Instead of a field: a section of the record's page, to hide it whole."),
    )
    required = models.BooleanField(_("always required"), default=False)
    required_statuses = models.JSONField(
        _("required at these statuses"),
        default=list,
        blank=True,
        help_text=_('Status keys, e.g. ["closed", "resolved"].'),
    )
    read_only_roles = RoleKeysField(
        _("read-only for these roles"),
        default=list,
        blank=True,
        help_text=_(
            'These roles see the field but may not change it (API: role keys, e.g. ["sales_rep"]).'
        ),
    )
    hidden_roles = RoleKeysField(
        _("hidden from these roles"),
        default=list,
        blank=True,
        help_text=_(
            "These roles do not see the field (or section) anywhere: pages, lists, search, "
            'export, the API and e-mails (API: role keys, e.g. ["sales_rep"]).'
        ),
    )
    validator = models.CharField(
        _("validator"), max_length=20, choices=Validator.choices, blank=True, default=""
    )
    pattern = models.CharField(_("regular expression"), max_length=300, blank=True)
    message_he = models.CharField(_("Hebrew error message"), max_length=200, blank=True)
    message_en = models.CharField(_("English error message"), max_length=200, blank=True)
    active = models.BooleanField(_("active"), default=True)

    objects = StampedQuerySet.as_manager()

    class Meta:
        ordering = ["entity", "field", "pk"]
        verbose_name = _("field rule")
        verbose_name_plural = _("field rules")

    def __str__(self):
        return f"{self.entity}.{self.field or self.section}"

    def clean(self):
        from kesher.platform.customfields.rules import check_rule

        check_rule(self)


# Every process caches the definitions (customfields.py) until one of them changes.
stamps.renew_on_change(stamps.FIELDS, CustomField, FieldRule)

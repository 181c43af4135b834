"""Kinds of records administrators define in the browser (issue 27; REQ CX-1, CX-2, CX-7).

One definition (``CustomObject``) and one generic table of records (``CustomRecord``) serve
every admin-defined kind: the record's fields beyond its name, owner and status are custom
fields of the kind (values in the ``custom`` JSON column), so defining or changing a kind makes
no migration (decision 0073). Each kind is served as a registry entity by a proxy of
``CustomRecord`` made while Kesher runs (``kesher/objects/runtime.py``).
"""

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from kesher.platform.fields import owner_fk
from kesher.platform.models import Choice, KesherModel, localized

# Every kind's status values live in a pick-list of this prefix and the kind's key.
STATUS_LIST_PREFIX = "object-status-"

key_validator = RegexValidator(
    r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$",
    _("Lowercase English letters and digits, words joined by hyphens (“contracts”)."),
)


class CustomObject(KesherModel):
    """A kind of record an administrator defined: its names, icon and key, and whether its
    records have an owner (for the own and department scopes) and a status."""

    key = models.CharField(
        _("key"),
        max_length=40,
        unique=True,
        validators=[key_validator],
        help_text=_("The plural in English, used by the addresses and the API; never changes."),
    )
    name_he = models.CharField(_("Hebrew name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    plural_he = models.CharField(_("Hebrew plural"), max_length=100)
    plural_en = models.CharField(_("English plural"), max_length=100, blank=True)
    icon = models.CharField(_("icon"), max_length=8, default="◆", blank=True)
    has_owner = models.BooleanField(
        _("records have an owner"),
        default=True,
        help_text=_("Lets the “own” and “department” scopes narrow who sees each record."),
    )
    has_status = models.BooleanField(_("records have a status"), default=False)
    linkable = models.BooleanField(
        _("activities may be about its records"),
        default=True,
        help_text=_("Tasks and interactions may be about its records, shown on their page."),
    )
    nav_order = models.PositiveIntegerField(_("place in the menu"), default=80)
    active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("An inactive kind leaves the menus and the API; its records are kept."),
    )
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["nav_order", "key"]
        verbose_name = _("custom object")
        verbose_name_plural = _("custom objects")

    def __str__(self):
        return self.name

    @property
    def name(self) -> str:
        return localized(self, "name")

    @property
    def plural(self) -> str:
        return localized(self, "plural")

    @property
    def status_list(self) -> str:
        return f"{STATUS_LIST_PREFIX}{self.key}"

    def field_definitions(self):
        """Its fields (custom fields of its key), in the order its pages show them."""
        from kesher.platform.models import CustomField

        return CustomField.objects.filter(entity=self.key).order_by("section", "order", "pk")

    def statuses(self):
        return Choice.objects.filter(list_key=self.status_list).order_by("order", "pk")

    def clean(self):
        from kesher.objects.schema import check_definition

        check_definition(self)


def _status_limit():
    # Every kind's status values; the record's own kind's list is enforced by ``clean`` and
    # by the entity's ``choice_lists`` (forms, API, filters).
    return {"list_key__startswith": STATUS_LIST_PREFIX, "active": True}


class CustomRecord(KesherModel):
    """One record of an admin-defined kind: the columns every kind has (name, owner, status,
    version, timestamps) and its custom fields' values in ``custom``."""

    definition = models.ForeignKey(
        CustomObject,
        verbose_name=_("kind"),
        on_delete=models.PROTECT,
        related_name="records",
        editable=False,
    )
    name = models.CharField(_("name"), max_length=200)
    owner = owner_fk(db_index=False)
    status = models.ForeignKey(
        Choice,
        verbose_name=_("status"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to=_status_limit,
    )

    # The kind a proxy class serves (set on each kind's proxy, kesher/objects/runtime.py).
    definition_pk: int | None = None

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("record")
        verbose_name_plural = _("records")
        indexes = [
            models.Index(fields=["definition", "name", "id"], name="customrecord_kind_name"),
            models.Index(fields=["definition", "owner", "name"], name="customrecord_kind_owner"),
            models.Index(fields=["definition", "status", "id"], name="customrecord_kind_status"),
            models.Index(fields=["definition", "created_at", "id"], name="customrecord_kind_new"),
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.definition_id is None and self.definition_pk is not None:
            self.definition_id = self.definition_pk

    def __str__(self):
        return self.name

    @property
    def registry_key(self) -> str:
        """The key of the entity this record belongs to (``Registry.for_model`` asks it when
        the record was read through the generic table, as a file's or an audit entry's is)."""
        return _key_of(self.definition_id)

    def save(self, *args, **kwargs):
        # A new record left without a status starts at its kind's default (the value an
        # administrator marked so; a template's first), from every path: forms, API, import.
        if self._state.adding and self.status_id is None and self.definition_id is not None:
            self.status_id = (
                Choice.objects.filter(
                    list_key=f"{STATUS_LIST_PREFIX}{_key_of(self.definition_id)}",
                    active=True,
                    extra__default=True,
                )
                .values_list("pk", flat=True)
                .first()
            )
        super().save(*args, **kwargs)

    def clean(self):
        if self.status_id is not None and self.definition_id is not None:
            expected = f"{STATUS_LIST_PREFIX}{_key_of(self.definition_id)}"
            if self.status is not None and self.status.list_key != expected:
                raise ValidationError({"status": [_("Choose one of this kind's statuses.")]})


def _key_of(definition_id: int) -> str:
    from kesher.objects.runtime import key_of

    return key_of(definition_id)

"""Customers: accounts (organizations and private persons), contacts, relationships.

REQ CU-1 (customer database), CU-2 (contacts in several accounts), CU-5 (networking),
CU-11 (customer club).
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from kesher.platform.fields import (
    CompanyNumberField,
    IsraeliIdField,
    LowercaseEmailField,
    PhoneField,
    choice_fk,
    owner_fk,
)
from kesher.platform.models import Choice, KesherModel, Tag, localized

__all__ = ["Account", "Contact", "ContactAccount", "Relationship"]


class Account(KesherModel):
    """A customer: an organization (with a company number) or a private person (with an ID)."""

    class Kind(models.TextChoices):
        ORGANIZATION = "organization", _("Organization")
        PERSON = "person", _("Private person")

    kind = models.CharField(
        _("type"), max_length=12, choices=Kind.choices, default=Kind.ORGANIZATION
    )
    name = models.CharField(_("name"), max_length=200)
    company_number = CompanyNumberField(_("company number"))
    israeli_id = IsraeliIdField(_("ID number"))
    phone = PhoneField(_("phone"))
    mobile = PhoneField(_("mobile"))
    email = LowercaseEmailField(_("email"), blank=True)
    website = models.URLField(_("website"), blank=True)
    street = models.CharField(_("street"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    zip_code = models.CharField(_("zip code"), max_length=10, blank=True)
    country = models.CharField(_("country"), max_length=60, blank=True, default="ישראל")
    industry = choice_fk("industry", _("industry"))
    source = choice_fk("account_source", _("source"))
    status = choice_fk("account_status", _("status"))
    # A, B, C …: how much the customer matters; orders the reps' work lists (REQ TK-8).
    rating = choice_fk("account_rating", _("customer rating"), db_index=False)
    owner = owner_fk("owned_accounts", db_index=False)  # account_owner_name leads with it
    region = models.ForeignKey(
        "org.Region",
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="accounts",
        limit_choices_to={"active": True},
    )
    companies = models.ManyToManyField(
        "org.Company",
        verbose_name=_("companies"),
        blank=True,
        related_name="accounts",
        help_text=_("The organization's companies this customer works with."),
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="+")
    club_member = models.BooleanField(_("customer club member"), default=False)
    club_joined_on = models.DateField(_("joined the club on"), null=True, blank=True)
    last_contact_at = models.DateTimeField(_("last contact"), null=True, blank=True, db_index=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        indexes = [
            models.Index(fields=["owner", "name"], name="account_owner_name"),
            models.Index(fields=["name", "id"], name="account_name_id"),
            # The keys duplicates and imports match by, exactly (issue 26: an index of its own,
            # not Django's db_index, which on PostgreSQL adds a second one for LIKE patterns
            # that nothing here asks; the search finds by its own index).
            models.Index(fields=["company_number"], name="account_company_number"),
            models.Index(fields=["israeli_id"], name="account_israeli_id"),
            models.Index(fields=["phone"], name="account_phone"),
            models.Index(fields=["email"], name="account_email"),
            # In byte order on PostgreSQL, for a city prefix's values (lookups.expand_prefix).
            models.Index(fields=["city"], name="account_city", opclasses=["varchar_pattern_ops"]),
            # Automation's idle trigger reads a window of last changes (automation/schedule.py).
            models.Index(fields=["updated_at", "id"], name="account_updated"),
            # The call-back list reads each rating's longest-waiting accounts in order
            # (activities.selectors.first_by_rating, REQ TK-8).
            models.Index(fields=["rating", "last_contact_at", "id"], name="account_rating_contact"),
        ]

    # The columns its name reads: a list showing it in a column loads only these.
    title_fields = ("name",)

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        if self.kind == self.Kind.PERSON and self.company_number:
            errors["company_number"] = _("A private person has no company number.")
        if self.club_joined_on and not self.club_member:
            errors["club_joined_on"] = _("Only club members have a joining date.")
        if errors:
            raise ValidationError(errors)


class Contact(KesherModel):
    """A person we deal with; may work with several accounts, in a role at each (REQ CU-2)."""

    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    title = models.CharField(_("job title"), max_length=100, blank=True)
    email = LowercaseEmailField(_("email"), blank=True)
    phone = PhoneField(_("phone"))
    mobile = PhoneField(_("mobile"))
    israeli_id = IsraeliIdField(_("ID number"))
    city = models.CharField(_("city"), max_length=100, blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    owner = owner_fk("owned_contacts", db_index=False)  # contact_owner_name leads with it
    accounts = models.ManyToManyField(
        Account,
        through="ContactAccount",
        verbose_name=_("accounts"),
        blank=True,
        related_name="contacts",
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="+")
    last_contact_at = models.DateTimeField(_("last contact"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # The language he reads: e-mails to him (a ticket's replies and notices) are written in it.
    language = models.CharField(
        _("language"),
        max_length=2,
        choices=[("he", "עברית"), ("en", "English")],
        blank=True,
        help_text=_("The language e-mails to him are written in; empty: Hebrew."),
    )

    class Meta:
        ordering = ["last_name", "first_name"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [
            models.Index(fields=["last_name", "first_name", "id"], name="contact_name"),
            # Lists filtered by owner or city and sorted by name read these in order, and page
            # on with a keyset; (owner, city) counts "my customers in this city" from the index
            # alone (bench/README.md, DESIGN.md "Lists at scale"). They also serve every lookup
            # by owner or city, so those columns have no index of their own (issue 26).
            models.Index(
                fields=["owner", "last_name", "first_name", "id"], name="contact_owner_name"
            ),
            # The city in byte order on PostgreSQL (``opclasses``; SQLite has no such thing),
            # so a city prefix's values are stepped through on it too (lookups.expand_prefix,
            # decision 0056); equality and the name order after it work as before.
            models.Index(
                fields=["city", "last_name", "first_name", "id"],
                name="contact_city_name",
                opclasses=["varchar_pattern_ops", "", "", ""],
            ),
            models.Index(fields=["owner", "city"], name="contact_owner_city"),
            models.Index(fields=["created_at", "id"], name="contact_created"),
            # The keys duplicates and imports match by, exactly (as the account's).
            models.Index(fields=["email"], name="contact_email"),
            models.Index(fields=["phone"], name="contact_phone"),
            models.Index(fields=["mobile"], name="contact_mobile"),
            models.Index(fields=["israeli_id"], name="contact_israeli_id"),
            # Automation's idle trigger reads a window of last changes (automation/schedule.py).
            models.Index(fields=["updated_at", "id"], name="contact_updated"),
        ]

    # The columns its name reads: a list showing it in a column loads only these.
    title_fields = ("first_name", "last_name")

    def __str__(self):
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def full_name(self) -> str:
        return str(self)


class ContactAccount(models.Model):
    """A contact's link to one account, with the role they hold there."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="account_links")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="contact_links")
    role = models.CharField(_("role at the account"), max_length=100, blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["contact", "account"], name="contact_account_unique")
        ]
        verbose_name = _("account link")
        verbose_name_plural = _("account links")

    def __str__(self):
        return f"{self.contact} @ {self.account}"


class Relationship(KesherModel):
    """A typed link between two customers or contacts, read both ways (REQ CU-5).

    The type is a pick-list value (list ``relationship_type``) whose ``extra`` holds the reverse
    labels: "parent company" read from the other side is "subsidiary".
    """

    from_account = models.ForeignKey(
        Account,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="relations_out",
        verbose_name=_("from account"),
    )
    from_contact = models.ForeignKey(
        Contact,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="relations_out",
        verbose_name=_("from contact"),
    )
    type = models.ForeignKey(
        Choice,
        verbose_name=_("relationship"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"list_key": "relationship_type", "active": True},
    )
    to_account = models.ForeignKey(
        Account,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="relations_in",
        verbose_name=_("to account"),
    )
    to_contact = models.ForeignKey(
        Contact,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="relations_in",
        verbose_name=_("to contact"),
    )
    notes = models.CharField(_("notes"), max_length=300, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("relationship")
        verbose_name_plural = _("relationships")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(from_account__isnull=False, from_contact__isnull=True)
                    | models.Q(from_account__isnull=True, from_contact__isnull=False)
                ),
                name="relationship_one_from",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(to_account__isnull=False, to_contact__isnull=True)
                    | models.Q(to_account__isnull=True, to_contact__isnull=False)
                ),
                name="relationship_one_to",
            ),
        ]

    def __str__(self):
        return f"{self.source} — {self.type} — {self.target}"

    @property
    def source(self):
        return self.from_account or self.from_contact

    @property
    def target(self):
        return self.to_account or self.to_contact

    def label_from(self, side) -> str:
        """The relationship as read from ``side`` (the record whose page shows it)."""
        if side in (self.from_account, self.from_contact) and side is not None:
            return self.type.label
        return localized_reverse(self.type)

    def other(self, side):
        return self.target if side in (self.from_account, self.from_contact) else self.source

    def clean(self):
        errors = {}
        if bool(self.from_account_id) == bool(self.from_contact_id):
            errors["from_account"] = _("Choose exactly one account or contact on each side.")
        if bool(self.to_account_id) == bool(self.to_contact_id):
            errors["to_account"] = _("Choose exactly one account or contact on each side.")
        same_account = self.from_account_id and self.from_account_id == self.to_account_id
        same_contact = self.from_contact_id and self.from_contact_id == self.to_contact_id
        if same_account or same_contact:
            errors["to_account"] = _("A record cannot be related to itself.")
        if errors:
            raise ValidationError(errors)


def localized_reverse(choice: Choice) -> str:
    class _Labels:
        label_he = choice.extra.get("reverse_he") or choice.label_he
        label_en = choice.extra.get("reverse_en") or choice.label_en

    return localized(_Labels, "label")

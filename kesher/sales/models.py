"""Sales: leads, pipelines with their stages, opportunities (deals) and the competitors met on
them (REQ SA-1 … SA-6, CU-7, TK-8).

A stage belongs to one of the three groups of seed 003 — open (potential, proposal, order),
execution (won, in work, on hold) and closed (done, lost) — and says what reaching it means for
the deal (``Stage.outcome``): still open, won or lost. "Won" is a stage whose outcome is won (the
execution group, and "done"); "lost" a stage whose outcome is lost. Every figure reads these
two querysets (``OpportunityQuerySet.won`` / ``.lost``), never a list of stage names
(decision 0057).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kesher.platform import stamps
from kesher.platform.fields import (
    ACTIVE_USERS,
    LowercaseEmailField,
    PhoneField,
    choice_fk,
    money,
    owner_fk,
)
from kesher.platform.models import EntityQuerySet, KesherModel, localized

__all__ = [
    "Competitor",
    "ForecastCategory",
    "Lead",
    "LeadAssignmentRule",
    "Opportunity",
    "OpportunityContact",
    "Pipeline",
    "SalesSettings",
    "SalesTarget",
    "Stage",
]


class Pipeline(KesherModel):
    """A sales process with its own stages: one per product line or team (REQ SA-2)."""

    name_he = models.CharField(_("Hebrew name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    order = models.PositiveIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("pipeline")
        verbose_name_plural = _("pipelines")

    def __str__(self):
        return localized(self, "name")


class Stage(KesherModel):
    """One step of a pipeline: its group, what reaching it means, its standard duration, its
    probability and who is responsible for deals in it (REQ SA-2, SA-3, SA-4)."""

    class Group(models.TextChoices):
        OPEN = "open", _("Open")
        EXECUTION = "execution", _("Execution")
        CLOSED = "closed", _("Closed")

    class Outcome(models.TextChoices):
        OPEN = "open", _("Still open")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    pipeline = models.ForeignKey(
        Pipeline, verbose_name=_("pipeline"), on_delete=models.CASCADE, related_name="stages"
    )
    key = models.SlugField(
        _("key"),
        max_length=40,
        help_text=_(
            "What field rules name the stage by (required at these statuses), e.g. proposal."
        ),
    )
    name_he = models.CharField(_("Hebrew name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    order = models.PositiveIntegerField(_("order"), default=0)
    group = models.CharField(_("stage group"), max_length=10, choices=Group.choices)
    outcome = models.CharField(
        _("outcome"),
        max_length=4,
        choices=Outcome.choices,
        default=Outcome.OPEN,
        help_text=_("What a deal reaching this stage counts as in every figure."),
    )
    standard_days = models.PositiveSmallIntegerField(
        _("standard duration (business days)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("A deal longer in this stage is stuck; empty: no standard."),
    )
    probability = models.PositiveSmallIntegerField(
        _("probability (%)"), default=0, validators=[MaxValueValidator(100)]
    )
    responsible_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    responsible_role = models.ForeignKey(
        "org.Role",
        verbose_name=_("responsible role"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    exit_criteria = models.TextField(_("exit criteria"), blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["pipeline", "order", "id"]
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        constraints = [
            models.UniqueConstraint(fields=["pipeline", "key"], name="stage_unique_key"),
        ]

    def __str__(self):
        return localized(self, "name")

    @property
    def value(self) -> str:
        """The stage as a status key: field rules' "required at these statuses" name it."""
        return self.key

    def clean(self):
        allowed = {
            self.Group.OPEN: {self.Outcome.OPEN},
            self.Group.EXECUTION: {self.Outcome.WON},
            self.Group.CLOSED: {self.Outcome.WON, self.Outcome.LOST},
        }.get(self.group)
        if allowed and self.outcome not in allowed:
            raise ValidationError(
                {
                    "outcome": _(
                        "An open stage keeps the deal open, an execution stage means won, and a "
                        "closed stage means won or lost."
                    )
                }
            )


class Competitor(KesherModel):
    """A company we meet on deals and at customers (REQ CU-7)."""

    name = models.CharField(_("name"), max_length=200)
    website = models.URLField(_("website"), blank=True)
    strengths = models.TextField(_("strengths"), blank=True)
    weaknesses = models.TextField(_("weaknesses"), blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("competitor")
        verbose_name_plural = _("competitors")
        indexes = [models.Index(fields=["name", "id"], name="sales_competitor_name")]

    def __str__(self):
        return self.name


class Lead(KesherModel):
    """Someone who may buy, from any source, until converted into an account, a contact and a
    deal (REQ SA-1; the source and its dependent secondary source: MK-6)."""

    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    company_name = models.CharField(_("company"), max_length=200, blank=True)
    title = models.CharField(_("job title"), max_length=100, blank=True)
    email = LowercaseEmailField(_("email"), blank=True)
    phone = PhoneField(_("phone"))
    mobile = PhoneField(_("mobile"))
    city = models.CharField(_("city"), max_length=100, blank=True)
    region = models.ForeignKey(
        "org.Region",
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="leads",
        limit_choices_to={"active": True},
    )
    source = choice_fk("lead_source", _("source"))
    source_detail = choice_fk("lead_source_detail", _("secondary source"))
    campaign = models.ForeignKey(
        "marketing.Campaign",
        verbose_name=_("campaign (first touch)"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The campaign that first brought them (REQ MK-1)."),
    )
    last_campaign = models.ForeignKey(
        "marketing.Campaign",
        verbose_name=_("campaign (last touch)"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The latest campaign they responded to."),
    )
    status = choice_fk("lead_status", _("status"))
    owner = owner_fk("owned_leads", db_index=False)  # lead_owner_created leads with it
    score = models.IntegerField(
        _("score"), null=True, blank=True, help_text=_("Set by the lead scoring rules.")
    )
    interest = models.TextField(_("what they are interested in"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    converted_at = models.DateTimeField(_("converted"), null=True, blank=True, editable=False)
    converted_account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("converted into account"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="leads",
    )
    converted_contact = models.ForeignKey(
        "customers.Contact",
        verbose_name=_("converted into contact"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="leads",
    )
    converted_opportunity = models.ForeignKey(
        "Opportunity",
        verbose_name=_("converted into opportunity"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="leads",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        indexes = [
            models.Index(fields=["created_at", "id"], name="lead_created"),
            models.Index(fields=["owner", "created_at", "id"], name="lead_owner_created"),
            models.Index(fields=["updated_at", "id"], name="lead_updated"),
            # The keys a lead is matched by, exactly (as a contact's: decision 0059).
            models.Index(fields=["email"], name="lead_email"),
            models.Index(fields=["phone"], name="lead_phone"),
            models.Index(fields=["mobile"], name="lead_mobile"),
            # The duplicate check on create seeks a name prefix in these, with or without a
            # city (decision 0055), and the duplicates scan reads leads in the second's order.
            models.Index(fields=["last_name", "first_name", "id"], name="lead_name"),
            models.Index(fields=["city", "last_name", "first_name", "id"], name="lead_city_name"),
        ]

    def __str__(self):
        person = f"{self.first_name} {self.last_name}".strip()
        if person and self.company_name:
            return f"{person} ({self.company_name})"
        return person or self.company_name or self.email or self.phone or f"#{self.pk}"

    def clean(self):
        errors = {}
        if not (self.first_name or self.last_name or self.company_name):
            errors["last_name"] = _("Enter a name or a company.")
        if self.source_detail_id and self.source_detail.parent_id != self.source_id:
            errors["source_detail"] = _("This secondary source does not belong to the source.")
        if errors:
            raise ValidationError(errors)


class LeadAssignmentRule(KesherModel):
    """Who a new lead without an owner goes to: the first active rule, in order, whose
    conditions (source, region) the lead meets picks a user — a fixed one, the next member in
    turn (round robin) or the member with the fewest open leads — among the rule's members or,
    "by region", the members who work in the lead's region (REQ SA-1, SA-12)."""

    class Method(models.TextChoices):
        USER = "user", _("A fixed user")
        ROUND_ROBIN = "round_robin", _("Round robin")
        LEAST_LOADED = "least_loaded", _("Fewest open leads")

    name_he = models.CharField(_("Hebrew name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    order = models.PositiveIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)
    source = choice_fk("lead_source", _("when the source is"))
    region = models.ForeignKey(
        "org.Region",
        verbose_name=_("when the region is"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"active": True},
    )
    method = models.CharField(
        _("assign to"), max_length=20, choices=Method.choices, default=Method.ROUND_ROBIN
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to=ACTIVE_USERS,
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("members"),
        blank=True,
        related_name="lead_assignment_rules",
        limit_choices_to=ACTIVE_USERS,
    )
    by_region = models.BooleanField(
        _("only members of the lead's region"),
        default=False,
        help_text=_(
            "Choose among the members (or, without members, all users) who work in the "
            "lead's region."
        ),
    )
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("last assigned"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("lead assignment rule")
        verbose_name_plural = _("lead assignment rules")

    def __str__(self):
        return localized(self, "name")

    def clean(self):
        if self.method == self.Method.USER and not self.user_id:
            raise ValidationError({"user": _("Choose the user the leads go to.")})


class OpportunityQuerySet(EntityQuerySet):
    """The one definition of won, lost and open deals (decision 0057)."""

    def won(self):
        return self.filter(stage__outcome=Stage.Outcome.WON)

    def lost(self):
        return self.filter(stage__outcome=Stage.Outcome.LOST)

    def open(self):
        return self.filter(stage__outcome=Stage.Outcome.OPEN)

    def stuck(self, now=None):
        """Open deals longer in their stage than its standard duration (REQ SA-3)."""
        return self.filter(stuck_at__lte=now or timezone.now())


class ForecastCategory(models.TextChoices):
    """Where the owner puts an open deal in the forecast: the standard categories, fixed because
    each has a meaning the forecast's sums are built on (commit within best case within
    pipeline; omitted left out), which an admin-added value could not have (decision 0060)."""

    COMMIT = "commit", _("Commit")
    BEST_CASE = "best_case", _("Best case")
    PIPELINE = "pipeline", _("Pipeline")
    OMITTED = "omitted", _("Omitted")


CURRENCY = RegexValidator(r"^[A-Z]{3}$", _("Enter a three-letter currency code, e.g. ILS."))


class Opportunity(KesherModel):
    """A deal: what an account may buy, on a stage of a pipeline, with its clock, owner,
    contacts, competitors and what the customer wants that we cannot supply yet
    (REQ SA-2, SA-3, SA-6, CU-7, TK-8)."""

    name = models.CharField(_("name"), max_length=200)
    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("account"),
        null=True,
        blank=True,
        # Deleting a customer keeps its deals and their history, without the customer.
        on_delete=models.SET_NULL,
        related_name="opportunities",
    )
    contacts = models.ManyToManyField(
        "customers.Contact",
        through="OpportunityContact",
        verbose_name=_("contacts"),
        blank=True,
        related_name="opportunities",
    )
    amount = money(
        models.DecimalField(
            _("amount"),
            max_digits=14,
            decimal_places=2,
            default=Decimal("0"),
            validators=[MinValueValidator(Decimal("0"))],
        ),
        "currency",
    )
    currency = models.CharField(_("currency"), max_length=3, default="ILS", validators=[CURRENCY])
    expected_close_date = models.DateField(_("expected close date"), null=True, blank=True)
    forecast_category = models.CharField(
        _("forecast category"),
        max_length=10,
        choices=ForecastCategory.choices,
        default=ForecastCategory.PIPELINE,
        help_text=_(
            "The owner's call: commit (will close), best case (may close), pipeline, or "
            "omitted from the forecast."
        ),
    )
    stage = models.ForeignKey(
        Stage,
        verbose_name=_("stage"),
        on_delete=models.PROTECT,
        related_name="opportunities",
        limit_choices_to={"active": True},
        db_index=False,  # opp_stage_entered leads with it
    )
    stage_entered_at = models.DateTimeField(
        _("in the stage since"), default=timezone.now, editable=False
    )
    stuck_at = models.DateTimeField(
        _("stuck from"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("When the deal passes its stage's standard duration."),
    )
    closed_at = models.DateTimeField(
        _("closed"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("When the deal was won or lost; empty while it is open."),
    )
    owner = owner_fk("owned_opportunities", db_index=False)  # opp_owner_stage leads with it
    priority = choice_fk("opportunity_priority", _("priority"))
    source = choice_fk("lead_source", _("source"))
    lost_reason = choice_fk("lost_reason", _("lost reason"))
    campaign = models.ForeignKey(
        "marketing.Campaign",
        verbose_name=_("campaign (first touch)"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The campaign that first brought the customer (REQ MK-1)."),
    )
    last_campaign = models.ForeignKey(
        "marketing.Campaign",
        verbose_name=_("campaign (last touch)"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The latest campaign they responded to."),
    )
    competitors = models.ManyToManyField(
        Competitor, verbose_name=_("competitors"), blank=True, related_name="opportunities"
    )
    product_requests = models.TextField(
        _("what they want that we cannot supply yet"),
        blank=True,
        help_text=_("Recorded for product planning (REQ CU-7)."),
    )
    notes = models.TextField(_("notes"), blank=True)

    objects = OpportunityQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        indexes = [
            # The board reads each column's first cards and its count and sum by stage; the
            # amount in the index answers the sums from it alone (bench/sales.py: 80 → 6 ms
            # over 50,000 deals on SQLite).
            models.Index(
                fields=["stage", "stage_entered_at", "id", "amount"], name="opp_stage_entered"
            ),
            models.Index(fields=["owner", "stage"], name="opp_owner_stage"),
            models.Index(fields=["stuck_at", "id"], name="opp_stuck"),
            models.Index(fields=["expected_close_date", "id"], name="opp_close_date"),
            models.Index(fields=["created_at", "id"], name="opp_created"),
            models.Index(fields=["updated_at", "id"], name="opp_updated"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        # A lost deal says why (REQ SA-2); other fields a stage requires are field rules.
        if self.stage_id and self.stage.outcome == Stage.Outcome.LOST and not self.lost_reason_id:
            errors["lost_reason"] = _("A lost deal needs its lost reason.")
        # The forecast and the targets place a deal in time by it (REQ SA-7).
        if not self.expected_close_date and SalesSettings.current().forecasting:
            errors["expected_close_date"] = _(
                "Forecasting is on: every deal needs its expected close date."
            )
        if errors:
            raise ValidationError(errors)

    @property
    def is_stuck(self) -> bool:
        return self.stuck_at is not None and self.stuck_at <= timezone.now()

    @property
    def weighted_amount(self) -> Decimal:
        return (self.amount * self.stage.probability / 100).quantize(Decimal("0.01"))


class OpportunityContact(models.Model):
    """A contact's part in a deal: decision maker, user, influencer… (REQ SA-6)."""

    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.CASCADE, related_name="contact_links"
    )
    contact = models.ForeignKey(
        "customers.Contact", on_delete=models.CASCADE, related_name="opportunity_links"
    )
    role = models.CharField(_("role in the deal"), max_length=100, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["opportunity", "contact"], name="opportunity_contact_unique"
            )
        ]
        verbose_name = _("deal contact")
        verbose_name_plural = _("deal contacts")

    def __str__(self):
        return f"{self.contact} @ {self.opportunity}"


# The stamp a change of the sales settings renews (kesher/platform/stamps.py).
SETTINGS_STAMP = "sales_settings"


class SalesSettings(models.Model):
    """The organization's sales settings: one row, made by the migrations, changed by
    administrators on their page (REQ SA-7, RE-2)."""

    class Actuals(models.TextChoices):
        WON_DEALS = "won_deals", _("Won deals")
        # Tax invoices and invoice-receipts issued in the period, less the credit notes issued
        # in it, before VAT in shekels (issue 15 item 6, issue 17).
        INVOICES = "issued_invoices", _("Issued invoices, less credit notes")

    forecasting = models.BooleanField(
        _("forecasting"),
        default=False,
        help_text=_("When on, every deal needs its expected close date."),
    )
    target_actuals = models.CharField(
        _("targets are measured by"),
        max_length=20,
        choices=Actuals.choices,
        default=Actuals.WON_DEALS,
    )

    class Meta:
        verbose_name = _("sales settings")
        verbose_name_plural = _("sales settings")

    def __str__(self):
        return str(_("Sales settings"))

    @classmethod
    def current(cls) -> SalesSettings:
        """The settings, read once per process until they change (stamp "sales_settings"):
        every deal's save asks whether forecasting is on (a move, a conversion). A new
        instance each time, so a caller may change it without changing the others'."""
        values = stamps.cached(SETTINGS_STAMP, "current", cls._stored)
        settings = cls(**values)
        settings._state.adding = not values
        return settings

    @classmethod
    def _stored(cls) -> dict:
        row = cls.objects.order_by("pk").values("pk", "forecasting", "target_actuals").first()
        return row or {}


class SalesTarget(KesherModel):
    """What a person, a department, a region or the whole company should sell in a month, a
    quarter or a year: an amount, a number of deals, or both (REQ SA-7, RE-2, SA-14). The actual
    is read live from won deals (decision 0057) whose close date falls in the period, or from
    the invoices issued in it when the sales settings say so (decision 0101)."""

    class Period(models.TextChoices):
        MONTH = "month", _("Month")
        QUARTER = "quarter", _("Quarter")
        YEAR = "year", _("Year")

    class Level(models.TextChoices):
        PERSON = "person", _("Person")
        DEPARTMENT = "department", _("Department")
        REGION = "region", _("Region")
        COMPANY = "company", _("Whole company")

    period = models.CharField(_("period"), max_length=7, choices=Period.choices)
    starts_on = models.DateField(
        _("period starts"), help_text=_("Any day of the period: its first day is kept.")
    )
    level = models.CharField(_("target for"), max_length=10, choices=Level.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("salesperson"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sales_targets",
        limit_choices_to={"is_active": True},
    )
    department = models.ForeignKey(
        "org.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sales_targets",
    )
    region = models.ForeignKey(
        "org.Region",
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sales_targets",
    )
    amount = money(
        models.DecimalField(
            _("target amount (₪)"),
            max_digits=14,
            decimal_places=2,
            null=True,
            blank=True,
            validators=[MinValueValidator(Decimal("0.01"))],
        )
    )
    count = models.PositiveIntegerField(
        _("target number of deals"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("With a product group: the quantity to sell."),
    )
    # A product group's target (issue 16 item 6; REQ SA-14): its actual is what confirmed orders
    # sold of the group and its sub-groups — their lines' amount before VAT and quantity.
    product_group = models.ForeignKey(
        "catalogue.ProductGroup",
        verbose_name=_("product group"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sales_targets",
        help_text=_("Empty: every deal won; a group: what orders sold of it."),
    )
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["-starts_on", "level", "id"]
        verbose_name = _("sales target")
        verbose_name_plural = _("sales targets")
        indexes = [models.Index(fields=["starts_on", "id"], name="target_starts")]

    def __str__(self):
        return f"{self.subject} · {self.period_label}"

    @property
    def subject(self) -> str:
        holder = {
            self.Level.PERSON: self.user,
            self.Level.DEPARTMENT: self.department,
            self.Level.REGION: self.region,
        }.get(self.level)
        return str(holder) if holder is not None else str(_("Whole company"))

    @property
    def ends_on(self):
        """The first day after the period."""
        return period_end(self.period, self.starts_on)

    @property
    def period_label(self) -> str:
        if self.period == self.Period.MONTH:
            return f"{self.starts_on:%m/%Y}"
        if self.period == self.Period.QUARTER:
            return f"{self.starts_on.year}-Q{(self.starts_on.month - 1) // 3 + 1}"
        return str(self.starts_on.year)

    def clean(self):
        errors = {}
        if self.period and self.starts_on:
            self.starts_on = period_start(self.period, self.starts_on)
        holders = {
            self.Level.PERSON: "user",
            self.Level.DEPARTMENT: "department",
            self.Level.REGION: "region",
        }
        wanted = holders.get(self.level)
        for name in holders.values():
            if name == wanted and not getattr(self, f"{name}_id"):
                errors[name] = _("Choose for whom the target is.")
            elif name != wanted and getattr(self, f"{name}_id"):
                errors[name] = _("A %(level)s target has no %(field)s.") % {
                    "level": self.get_level_display(),
                    "field": self._meta.get_field(name).verbose_name,
                }
        if self.amount is None and self.count is None:
            errors["amount"] = _("Give an amount, a number of deals, or both.")
        if errors:
            raise ValidationError(errors)


def period_start(period: str, day):
    """The first day of the month, quarter or year holding ``day``."""
    if period == SalesTarget.Period.YEAR:
        return day.replace(month=1, day=1)
    if period == SalesTarget.Period.QUARTER:
        return day.replace(month=3 * ((day.month - 1) // 3) + 1, day=1)
    return day.replace(day=1)


def period_end(period: str, start):
    """The first day after the period starting on ``start``."""
    months = {"month": 1, "quarter": 3, "year": 12}[period]
    index = start.year * 12 + start.month - 1 + months
    return start.replace(year=index // 12, month=index % 12 + 1, day=1)

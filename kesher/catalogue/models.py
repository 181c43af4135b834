"""The catalogue: product groups (a tree), products and services, VAT rates and exchange rates
by date, price lists with their entries, price rules and discount limits (REQ SA-8, SA-9, OR-4).

Everything a price depends on is a row an administrator edits — the VAT rate in force on a date,
a currency's rate, which list applies to whom, a rental period's price, an add-on's price, a
quantity break, a role's discount limit — and one service prices lines from them
(``kesher/catalogue/pricing.py``; rounding in decision 0065).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from kesher.platform.fields import choice_fk, money
from kesher.platform.models import KesherModel, localized

__all__ = [
    "DiscountLimit",
    "ExchangeRate",
    "PriceList",
    "PriceListEntry",
    "PriceRule",
    "Product",
    "ProductGroup",
    "VatRate",
]

CURRENCY = RegexValidator(r"^[A-Z]{3}$", _("Enter a three-letter currency code, e.g. ILS."))
HOME_CURRENCY = "ILS"
MONEY = {"max_digits": 14, "decimal_places": 2}
NOT_NEGATIVE = [MinValueValidator(Decimal("0"))]
PERCENT = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


def currency_field(verbose_name=None):
    return models.CharField(
        verbose_name or _("currency"), max_length=3, default=HOME_CURRENCY, validators=[CURRENCY]
    )


class ProductGroup(KesherModel):
    """A node of the product-group tree; ``path`` ("/1/4/") reads a subtree or a group's
    ancestors without recursion, as departments do (decision 0016)."""

    name_he = models.CharField(_("Hebrew name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent group"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(max_length=255, editable=False, db_index=True, default="/")
    order = models.PositiveIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["path"]
        verbose_name = _("product group")
        verbose_name_plural = _("product groups")

    title_fields = ("name_he", "name_en")

    def __str__(self):
        return localized(self, "name")

    def ancestor_ids(self) -> list[int]:
        """This group's id and its ancestors', nearest first (read off the path, no query)."""
        return [int(part) for part in reversed(self.path.strip("/").split("/")) if part]


class VatRate(KesherModel):
    """The VAT rate of a VAT category from a date on (18% standard from 1 January 2025, 17%
    before; zero-rated and exempt at 0%): a line takes the rate in force on its date."""

    category = choice_fk("vat_category", _("VAT category"), required=True)
    valid_from = models.DateField(_("valid from"))
    rate = models.DecimalField(_("rate %"), max_digits=5, decimal_places=2, validators=PERCENT)
    notes = models.CharField(_("notes"), max_length=200, blank=True)

    class Meta:
        ordering = ["category", "-valid_from"]
        verbose_name = _("VAT rate")
        verbose_name_plural = _("VAT rates")
        constraints = [
            models.UniqueConstraint(fields=["category", "valid_from"], name="vat_rate_once_a_day")
        ]

    def __str__(self):
        return f"{self.category} {self.rate}% ({self.valid_from:%d/%m/%Y})"


class ExchangeRate(KesherModel):
    """What one unit of a currency is worth in shekels from a date on; an administrator enters
    or imports them (no network needed)."""

    currency = models.CharField(_("currency"), max_length=3, validators=[CURRENCY])
    valid_from = models.DateField(_("valid from"))
    rate = models.DecimalField(
        _("shekels per unit"),
        max_digits=14,
        decimal_places=6,
        validators=[MinValueValidator(Decimal("0.000001"))],
    )
    notes = models.CharField(_("notes"), max_length=200, blank=True)

    class Meta:
        ordering = ["currency", "-valid_from"]
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        constraints = [
            models.UniqueConstraint(
                fields=["currency", "valid_from"], name="exchange_rate_once_a_day"
            )
        ]

    def __str__(self):
        return f"{self.currency} {self.rate} ({self.valid_from:%d/%m/%Y})"


class Product(KesherModel):
    """A product or service we sell (REQ SA-8): its group, unit, codes, VAT category, list price
    and cost. Who may not see the cost is a field rule (REQ CX-9)."""

    class Kind(models.TextChoices):
        # The Tax Authority's item categories: 1 goods, 2 services (docs ISRAEL.md).
        GOODS = "goods", _("Goods")
        SERVICE = "service", _("Service")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("type"), max_length=7, choices=Kind.choices, default=Kind.GOODS)
    group = models.ForeignKey(
        ProductGroup,
        verbose_name=_("product group"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="products",
    )
    sku = models.CharField(_("SKU"), max_length=60, unique=True)
    barcode = models.CharField(_("barcode"), max_length=40, null=True, blank=True, unique=True)
    unit = choice_fk("product_unit", _("unit"))
    vat_category = choice_fk("vat_category", _("VAT category"), required=True)
    list_price = money(
        models.DecimalField(_("list price"), validators=NOT_NEGATIVE, **MONEY), "currency"
    )
    currency = currency_field()
    cost_price = money(
        models.DecimalField(
            _("cost price"), null=True, blank=True, validators=NOT_NEGATIVE, **MONEY
        ),
        "currency",
    )
    active = models.BooleanField(_("active"), default=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        indexes = [
            models.Index(fields=["name", "id"], name="product_name_id"),
            models.Index(fields=["group", "name"], name="product_group_name"),
        ]

    def __str__(self):
        return f"{self.name} ({self.sku})"

    def clean(self):
        # An empty barcode is no barcode: NULL, so that many products may have none.
        if self.barcode is not None and not self.barcode.strip():
            self.barcode = None


class PriceList(KesherModel):
    """Prices for whom they apply to (REQ SA-9, OR-4): one customer, a segment (the accounts'
    status, e.g. VIP), one of our companies, or everyone (the default) — in one currency,
    between two dates. The most specific valid list with the product wins: the customer's,
    then the segment's, then the default; a company's list before one for every company."""

    name = models.CharField(_("name"), max_length=200)
    currency = currency_field()
    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="price_lists",
    )
    segment = choice_fk("account_status", _("segment (customer status)"))
    company = models.ForeignKey(
        "org.Company",
        verbose_name=_("company"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="price_lists",
    )
    is_default = models.BooleanField(_("default list"), default=False)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("price list")
        verbose_name_plural = _("price lists")

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        targets = [self.account_id, self.segment_id]
        if sum(1 for target in targets if target) > 1:
            errors["segment"] = _("A price list is for one customer or one segment, not both.")
        if self.is_default and any(targets):
            errors["is_default"] = _(
                "The default list applies to everyone: no customer or segment."
            )
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            errors["valid_until"] = _("The list must end after it starts.")
        if errors:
            raise ValidationError(errors)

    @property
    def rank(self) -> int:
        """How specific the list is: the customer's 0, a segment's 1, the default 2."""
        if self.account_id:
            return 0
        return 1 if self.segment_id else 2


class PriceListEntry(KesherModel):
    """A product's price on a list from a quantity on (quantity breaks: one row per break)."""

    price_list = models.ForeignKey(
        PriceList, verbose_name=_("price list"), on_delete=models.CASCADE, related_name="entries"
    )
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="list_entries"
    )
    min_quantity = models.DecimalField(
        _("from quantity"),
        max_digits=12,
        decimal_places=3,
        default=Decimal("1"),
        validators=NOT_NEGATIVE,
    )
    price = models.DecimalField(_("price"), validators=NOT_NEGATIVE, **MONEY)
    notes = models.CharField(_("notes"), max_length=200, blank=True)

    class Meta:
        ordering = ["price_list", "product", "min_quantity"]
        verbose_name = _("price list entry")
        verbose_name_plural = _("price list entries")
        constraints = [
            models.UniqueConstraint(
                fields=["price_list", "product", "min_quantity"], name="price_entry_once"
            )
        ]
        indexes = [models.Index(fields=["product", "price_list"], name="price_entry_product")]

    def __str__(self):
        return f"{self.product} ≥ {self.min_quantity}: {self.price}"


class PriceRule(KesherModel):
    """A price that depends on more than the list (REQ SA-8), as data:

    - **rental period**: the price of one period (day, week, month) of a product, in a currency,
      from a number of periods on (longer rentals cheaper per period);
    - **add-on**: an optional module sold with a product, at this price (empty: the add-on's
      own price);
    - **quantity break**: a discount percent from a quantity on, for a product or a whole
      product group (its sub-groups included).
    """

    class Kind(models.TextChoices):
        PERIOD = "period", _("Rental period")
        ADDON = "addon", _("Add-on")
        QUANTITY = "quantity", _("Quantity break")

    class Period(models.TextChoices):
        DAY = "day", _("Day")
        WEEK = "week", _("Week")
        MONTH = "month", _("Month")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("type"), max_length=8, choices=Kind.choices)
    product = models.ForeignKey(
        Product,
        verbose_name=_("product"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="price_rules",
    )
    group = models.ForeignKey(
        ProductGroup,
        verbose_name=_("product group"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="price_rules",
    )
    period = models.CharField(_("period"), max_length=5, choices=Period.choices, blank=True)
    addon = models.ForeignKey(
        Product,
        verbose_name=_("add-on"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="addon_rules",
    )
    min_quantity = models.DecimalField(
        _("from quantity or periods"),
        max_digits=12,
        decimal_places=3,
        default=Decimal("1"),
        validators=NOT_NEGATIVE,
    )
    price = models.DecimalField(_("price"), null=True, blank=True, validators=NOT_NEGATIVE, **MONEY)
    currency = currency_field()
    discount_percent = models.DecimalField(
        _("discount %"), max_digits=5, decimal_places=2, null=True, blank=True, validators=PERCENT
    )
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["kind", "name", "id"]
        verbose_name = _("price rule")
        verbose_name_plural = _("price rules")
        indexes = [
            models.Index(fields=["product", "kind"], name="price_rule_product"),
            models.Index(fields=["group", "kind"], name="price_rule_group"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        if self.kind == self.Kind.PERIOD:
            if not self.product_id:
                errors["product"] = _("A rental price is for one product.")
            if not self.period:
                errors["period"] = _("Choose the rental period.")
            if self.price is None:
                errors["price"] = _("Enter the price of one period.")
        elif self.kind == self.Kind.ADDON:
            if not self.product_id:
                errors["product"] = _("An add-on is sold with one product.")
            if not self.addon_id:
                errors["addon"] = _("Choose the add-on.")
            elif self.addon_id == self.product_id:
                errors["addon"] = _("A product is not its own add-on.")
        elif self.kind == self.Kind.QUANTITY:
            if bool(self.product_id) == bool(self.group_id):
                errors["product"] = _("A quantity break is for one product or one group.")
            if self.discount_percent is None:
                errors["discount_percent"] = _("Enter the discount from this quantity.")
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            errors["valid_until"] = _("The rule must end after it starts.")
        if errors:
            raise ValidationError(errors)


class DiscountLimit(KesherModel):
    """The largest manual discount a role or one user may give without approval, on every
    product or on one product group and its sub-groups (REQ SA-9). A user's own limit comes
    before his role's; a group's before the general one; no limit at all is 0%."""

    role = models.ForeignKey(
        "org.Role",
        verbose_name=_("role"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    group = models.ForeignKey(
        ProductGroup,
        verbose_name=_("product group"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="discount_limits",
    )
    max_percent = models.DecimalField(
        _("largest discount %"), max_digits=5, decimal_places=2, validators=PERCENT
    )
    notes = models.CharField(_("notes"), max_length=200, blank=True)

    class Meta:
        ordering = ["role", "user", "group", "id"]
        verbose_name = _("discount limit")
        verbose_name_plural = _("discount limits")

    def __str__(self):
        return f"{self.user or self.role}: {self.max_percent}%"

    def clean(self):
        if bool(self.role_id) == bool(self.user_id):
            raise ValidationError({"role": _("A limit is for one role or one user.")})

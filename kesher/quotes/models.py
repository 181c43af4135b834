"""Quotes and orders: priced documents with their lines (REQ SA-10, SA-9, SV-12, OR-4; the
document chain of decision 0065, numbering and statuses in decision 0068).

A document stores its lines as priced — unit price, quantity, discount, the VAT rate and
amount, the total and where the price came from — with its currency and the exchange rate it
used; its totals are sums of its rounded lines (optional lines left out). A document made from
another (a quote's new version, an order from a quote) copies the lines and points at its
source, never prices again. The tax documents of the next issue continue the chain with the
same abstract ``DocumentLine`` and ``PricedDocumentBase``.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kesher.catalogue.models import CURRENCY, HOME_CURRENCY, MONEY
from kesher.platform.fields import money as shown_as_money
from kesher.platform.fields import owner_fk
from kesher.platform.models import EntityQuerySet, KesherModel

__all__ = [
    "DocumentLine",
    "DocumentTemplate",
    "Order",
    "OrderLine",
    "PricedDocumentBase",
    "Quote",
    "QuoteLine",
]

ZERO = Decimal("0")


def money(verbose_name, *, currency: str | None = "", **extra):
    """An amount; ``currency`` names the record's currency field (None: in shekels), so pages
    show it as money (``platform.fields.money``); "" for a line, whose document names it."""
    field = models.DecimalField(verbose_name, default=ZERO, **MONEY, **extra)
    return field if currency == "" else shown_as_money(field, currency)


class PricedDocumentBase(KesherModel):
    """What every priced document has: its number once issued (drafts have none; decision
    0068), the customer, our company, the owner, currency and rate, date and totals."""

    number = models.CharField(_("number"), max_length=40, blank=True, editable=False)
    number_value = models.PositiveBigIntegerField(
        _("consecutive number"), null=True, blank=True, editable=False
    )
    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="%(class)ss",
    )
    contact = models.ForeignKey(
        "customers.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="%(class)ss",
    )
    company = models.ForeignKey(
        "org.Company",
        verbose_name=_("company"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="%(class)ss",
        help_text=_("Our company issuing the document (REQ OR-4)."),
    )
    owner = owner_fk("owned_%(class)ss")
    currency = models.CharField(
        _("currency"), max_length=3, default=HOME_CURRENCY, validators=[CURRENCY]
    )
    exchange_rate = models.DecimalField(
        _("exchange rate"),
        max_digits=14,
        decimal_places=6,
        default=Decimal("1"),
        editable=False,
        help_text=_("Shekels per unit of the currency, as priced (decision 0065)."),
    )
    doc_date = models.DateField(_("date"), default=timezone.localdate)
    gross = money(_("before discount"), editable=False, currency="currency")
    discount = money(_("discount"), editable=False, currency="currency")
    net = money(_("before VAT"), editable=False, currency="currency")
    vat = money(_("VAT"), editable=False, currency="currency")
    total = money(_("total"), editable=False, currency="currency")
    cost = money(_("cost"), editable=False, currency="currency")
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        abstract = True

    @property
    def margin(self) -> Decimal:
        """Net less cost, in the document's currency."""
        return self.net - self.cost

    @property
    def margin_percent(self) -> Decimal | None:
        if not self.net:
            return None
        return (self.margin * 100 / self.net).quantize(Decimal("0.1"))


class Quote(PricedDocumentBase):
    """A price offer to a customer, perhaps for a deal, in versions (REQ SA-10). A draft is
    edited; sending it numbers it and freezes it (a discount above the sender's limit must be
    approved first, REQ SA-9); the customer accepts or rejects it; a new version supersedes it.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SENT = "sent", _("Sent")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")
        EXPIRED = "expired", _("Expired")
        SUPERSEDED = "superseded", _("Superseded")

    name = models.CharField(_("subject"), max_length=200)
    opportunity = models.ForeignKey(
        "sales.Opportunity",
        verbose_name=_("opportunity"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="quotes",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    revision = models.PositiveIntegerField(_("version"), default=1, editable=False)
    revised_from = models.ForeignKey(
        "self",
        verbose_name=_("previous version"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="revisions",
    )
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    terms = models.TextField(_("terms"), blank=True)
    over_limit = models.BooleanField(
        _("discount above the limit"),
        default=False,
        editable=False,
        help_text=_("A line's discount is above its author's limit: it needs approval."),
    )
    discount_approved = models.BooleanField(_("discount approved"), default=False, editable=False)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True, editable=False)
    decided_at = models.DateTimeField(
        _("accepted or rejected"), null=True, blank=True, editable=False
    )
    # The e-mail that sent this version to the customer, and the PDF it carries (decision
    # 0077): a version is e-mailed at most once; the PDF is kept as it was sent.
    emailed_message = models.ForeignKey(
        "integrations.OutgoingMessage",
        verbose_name=_("e-mail to the customer"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    emailed_pdf = models.ForeignKey(
        "platform.Attachment",
        verbose_name=_("PDF as sent"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")
        indexes = [
            models.Index(fields=["created_at", "id"], name="quote_created"),
            models.Index(fields=["owner", "status"], name="quote_owner_status"),
            models.Index(fields=["account", "-created_at"], name="quote_account"),
        ]

    def __str__(self):
        label = self.number or _("Draft")
        return f"{label} · {self.name}" + (f" (v{self.revision})" if self.revision > 1 else "")

    def clean(self):
        if self.valid_until and self.doc_date and self.valid_until < self.doc_date:
            raise ValidationError({"valid_until": _("A quote must be valid at least on its date.")})

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def needs_approval(self) -> bool:
        return self.over_limit and not self.discount_approved


class Order(PricedDocumentBase):
    """A customer's order: from an accepted quote (its lines copied) or a quick sale made
    directly, without a deal (REQ SA-10, SV-12). A draft is edited; confirming numbers it."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        CONFIRMED = "confirmed", _("Confirmed")
        CANCELLED = "cancelled", _("Cancelled")

    quote = models.OneToOneField(
        Quote,
        verbose_name=_("quote"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="order",
    )
    opportunity = models.ForeignKey(
        "sales.Opportunity",
        verbose_name=_("opportunity"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="orders",
    )
    name = models.CharField(
        _("reference"),
        max_length=200,
        blank=True,
        help_text=_("What the order is, or the customer's own order number."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        indexes = [
            models.Index(fields=["created_at", "id"], name="order_created"),
            models.Index(fields=["owner", "status"], name="order_owner_status"),
            models.Index(fields=["account", "-created_at"], name="order_account"),
        ]

    def __str__(self):
        label = self.number or _("Draft order")
        return f"{label} · {self.name}" if self.name else f"{label} #{self.pk}"

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT


class DocumentLine(models.Model):
    """A line as priced (decision 0065): copied, never priced again, along the chain."""

    position = models.PositiveIntegerField(_("line"))
    product = models.ForeignKey(
        "catalogue.Product", verbose_name=_("product"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("description"), max_length=300)
    sku = models.CharField(_("SKU"), max_length=60, blank=True)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3)
    period = models.CharField(_("rental period"), max_length=5, blank=True)
    periods = models.DecimalField(
        _("periods"), max_digits=9, decimal_places=3, null=True, blank=True
    )
    addons = models.JSONField(_("add-ons"), default=list, blank=True)
    optional = models.BooleanField(
        _("optional"), default=False, help_text=_("Offered, not counted in the totals.")
    )
    unit_price = money(_("unit price"))
    source = models.CharField(_("price from"), max_length=300, blank=True)
    gross = money(_("before discount"))
    rule_discount_percent = models.DecimalField(
        _("rule discount %"), max_digits=5, decimal_places=2, default=ZERO
    )
    discount_percent = models.DecimalField(
        _("discount %"), max_digits=5, decimal_places=2, default=ZERO
    )
    discount = money(_("discount"))
    net = money(_("before VAT"))
    vat_rate = models.DecimalField(_("VAT %"), max_digits=5, decimal_places=2, default=ZERO)
    vat = money(_("VAT"))
    total = money(_("total"))
    unit_cost = models.DecimalField(_("unit cost"), null=True, blank=True, **MONEY)
    over_limit = models.BooleanField(_("discount above the limit"), default=False)
    discount_limit = models.DecimalField(
        _("discount limit %"), max_digits=5, decimal_places=2, null=True, blank=True
    )

    # Lines are registered as parts of their document (decision 0103): read through
    # ``visible_to`` like any entity, in lists, the API and reports.
    objects = EntityQuerySet.as_manager()

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.position}. {self.name}"

    @property
    def cost(self) -> Decimal:
        return (self.unit_cost or ZERO) * self.quantity


class QuoteLine(DocumentLine):
    quote = models.ForeignKey(
        Quote, verbose_name=_("quote"), on_delete=models.CASCADE, related_name="lines"
    )

    class Meta:
        ordering = ["quote", "position"]
        verbose_name = _("quote line")
        verbose_name_plural = _("quote lines")
        constraints = [
            models.UniqueConstraint(fields=["quote", "position"], name="quote_line_position")
        ]


class OrderLine(DocumentLine):
    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="lines"
    )

    class Meta:
        ordering = ["order", "position"]
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        constraints = [
            models.UniqueConstraint(fields=["order", "position"], name="order_line_position")
        ]


class DocumentTemplate(KesherModel):
    """An administrator's design of the printed documents (issue 16 item 5; decision 0085):
    the logo, the company's details, general terms and a footer on every page, in Hebrew and
    English, for one kind of document (or all of them) and one company (or all of them).

    Structured fields, not template code: the texts are plain text with the e-mail templates'
    safe merge fields (``{{ number }}``, ``{{ account.name }}``; decision 0033), checked when
    saved and escaped when printed. The logo is an image attached to the template (PNG or
    JPEG, at most 1 MB). The most specific active template applies: the document's kind and
    company before "all documents" and "every company"."""

    class DocumentType(models.TextChoices):
        ALL = "", _("All documents")
        QUOTE = "quote", _("Quotes")
        ORDER = "order", _("Orders")
        TAX_DOCUMENT = "tax_document", _("Tax documents")

    name = models.CharField(_("name"), max_length=100)
    document_type = models.CharField(
        _("documents"), max_length=20, blank=True, default="", choices=DocumentType.choices
    )
    company = models.ForeignKey(
        "org.Company",
        verbose_name=_("company"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="document_templates",
        help_text=_("Empty: every company."),
    )
    show_company_details = models.BooleanField(
        _("print the company's details"),
        default=True,
        help_text=_("Company number, address, phone and e-mail under the company's name."),
    )
    details_he = models.TextField(
        _("more details (Hebrew)"),
        max_length=1000,
        blank=True,
        help_text=_("Printed under the company's details on every page: bank account, licence."),
    )
    details_en = models.TextField(_("more details (English)"), max_length=1000, blank=True)
    terms_he = models.TextField(
        _("general terms (Hebrew)"),
        max_length=10_000,
        blank=True,
        help_text=_("Printed after the document's own terms."),
    )
    terms_en = models.TextField(_("general terms (English)"), max_length=10_000, blank=True)
    footer_he = models.CharField(
        _("footer (Hebrew)"),
        max_length=300,
        blank=True,
        help_text=_("One line at the bottom of every page."),
    )
    footer_en = models.CharField(_("footer (English)"), max_length=300, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("document template")
        verbose_name_plural = _("document templates")

    def __str__(self):
        return self.name

"""Purchasing: purchase orders, supplier invoices and supplier payments (issue 17 items 1, 4
and 5; REQ SA-10 "purchase documents", RE-1 "expenses and cash flow"; decision 0087).

A supplier is an account (``customers.Account``) we buy from: no flag or second table — an
account becomes a supplier by having purchase documents, as a customer is one by having sales
documents. A **purchase order** is ours: a draft is edited, ordering it takes the next
gap-free number of its company (``kesher.numbering``, type ``purchase_order``) and locks it;
receiving it moves its goods into a warehouse (``kesher.stock``). A **supplier invoice** is the
supplier's document, recorded under *his* number (text, never ours), with its date, the due
date by the payment terms, VAT on each line and its shekel amounts at the rate of its date;
recorded, it is locked. A **supplier payment** (cash, cheque, transfer) pays a recorded
invoice's open balance, in part or in full.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kesher.catalogue.models import CURRENCY, HOME_CURRENCY, MONEY
from kesher.platform.fields import choice_fk, money, owner_fk
from kesher.platform.models import EntityQuerySet, KesherModel

__all__ = [
    "GoodsReceipt",
    "GoodsReceiptLine",
    "PaymentMeans",
    "PurchaseOrder",
    "PurchaseOrderLine",
    "SupplierInvoice",
    "SupplierInvoiceLine",
    "SupplierPayment",
    "SupplierPaymentAllocation",
]

ZERO = Decimal("0")
RATE = {"max_digits": 14, "decimal_places": 6}


def _amount(verbose_name, currency: str | None = "currency", **extra):
    """An amount in the currency its record's ``currency`` names (None: in shekels), shown as
    money (``platform.fields.money``)."""
    return money(models.DecimalField(verbose_name, default=ZERO, **MONEY, **extra), currency)


def _line_amount(verbose_name):
    """A line's amount: in its document's currency, which the line itself does not name."""
    return models.DecimalField(verbose_name, default=ZERO, **MONEY)


def _supplier(related_name: str):
    return models.ForeignKey(
        "customers.Account",
        verbose_name=_("supplier"),
        on_delete=models.PROTECT,
        related_name=related_name,
    )


def _company(related_name: str):
    return models.ForeignKey(
        "org.Company",
        verbose_name=_("company"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name=related_name,
        help_text=_("Our company that buys (REQ OR-4)."),
    )


def _currency():
    return models.CharField(
        _("currency"), max_length=3, default=HOME_CURRENCY, validators=[CURRENCY]
    )


class PurchaseOrder(KesherModel):
    """An order we send a supplier (REQ SA-10). Numbered gap-free when ordered, then locked;
    received — at once or in parts, each line's received quantity kept — its goods enter the
    chosen warehouse; made into the supplier's invoice, which names it (the chain)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ORDERED = "ordered", _("Ordered")
        PARTLY_RECEIVED = "partial", _("Partly received")
        RECEIVED = "received", _("Received")

    number = models.CharField(_("number"), max_length=40, blank=True, editable=False)
    number_value = models.PositiveBigIntegerField(
        _("consecutive number"), null=True, blank=True, editable=False
    )
    name = models.CharField(
        _("reference"), max_length=200, blank=True, help_text=_("What the order is for.")
    )
    supplier = _supplier("purchase_orders")
    company = _company("purchase_orders")
    owner = owner_fk("owned_purchase_orders")
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    doc_date = models.DateField(_("date"), default=timezone.localdate)
    expected_on = models.DateField(_("expected on"), null=True, blank=True)
    warehouse = models.ForeignKey(
        "stock.Warehouse",
        verbose_name=_("receive into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The warehouse the goods enter when received."),
    )
    currency = _currency()
    net = _amount(_("before VAT"), editable=False)
    vat = _amount(_("VAT"), editable=False)
    total = _amount(_("total"), editable=False)
    ordered_at = models.DateTimeField(_("ordered"), null=True, blank=True, editable=False)
    received_at = models.DateTimeField(_("received"), null=True, blank=True, editable=False)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("purchase order")
        verbose_name_plural = _("purchase orders")
        indexes = [
            models.Index(fields=["created_at", "id"], name="po_created"),
            models.Index(fields=["owner", "status"], name="po_owner_status"),
            models.Index(fields=["supplier", "status"], name="po_supplier_status"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "number_value"],
                condition=models.Q(number_value__isnull=False),
                name="po_number_once",
            )
        ]

    def __str__(self):
        label = self.number or f"{_('Draft')} #{self.pk}"
        title = f"{_('Purchase order')} {label}"
        return f"{title} · {self.name}" if self.name else title

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT


class PurchaseLine(models.Model):
    """A line of a purchase document: a product of the catalogue or a plain expense (rent,
    fuel), its quantity, unit price before VAT, and its VAT rate, stored on the line."""

    position = models.PositiveIntegerField(_("line"))
    product = models.ForeignKey(
        "catalogue.Product",
        verbose_name=_("product"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    name = models.CharField(_("description"), max_length=300)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3)
    unit_price = _line_amount(_("unit price"))
    vat_rate = models.DecimalField(_("VAT %"), max_digits=5, decimal_places=2, default=ZERO)
    net = _line_amount(_("before VAT"))
    vat = _line_amount(_("VAT"))
    total = _line_amount(_("total"))

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.position}. {self.name}"


class PurchaseOrderLine(PurchaseLine):
    order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="lines")
    received = models.DecimalField(
        _("received"), max_digits=12, decimal_places=3, default=ZERO, editable=False
    )

    class Meta:
        ordering = ["order", "position"]
        verbose_name = _("purchase order line")
        verbose_name_plural = _("purchase order lines")
        constraints = [
            models.UniqueConstraint(fields=["order", "position"], name="po_line_position")
        ]

    @property
    def outstanding(self) -> Decimal:
        """What is still to be received of the line."""
        return max(self.quantity - self.received, ZERO)


class GoodsReceipt(models.Model):
    """A goods-receipt document (תעודת קבלת סחורה): what one receiving of a purchase order took
    in — each line's quantity and serial numbers — into which warehouse, when and by whom.
    Numbered gap-free per company (``kesher.numbering``, type ``goods_receipt``, ``GR-``) in
    the receiving's transaction; made only by ``purchase_order_receive`` and never changed (a
    part of its purchase order, read with it; decision 0118)."""

    number = models.CharField(_("number"), max_length=40, editable=False)
    number_value = models.PositiveBigIntegerField(_("consecutive number"), editable=False)
    purchase_order = models.ForeignKey(
        PurchaseOrder,
        verbose_name=_("purchase order"),
        on_delete=models.PROTECT,
        related_name="goods_receipts",
        editable=False,
    )
    supplier = models.ForeignKey(
        "customers.Account",
        verbose_name=_("supplier"),
        on_delete=models.PROTECT,
        related_name="goods_receipts",
        editable=False,
    )
    company = models.ForeignKey(
        "org.Company",
        verbose_name=_("company"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="goods_receipts",
        editable=False,
    )
    warehouse = models.ForeignKey(
        "stock.Warehouse",
        verbose_name=_("received into"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("received by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    received_at = models.DateTimeField(_("received"), default=timezone.now, editable=False)
    notes = models.CharField(_("notes"), max_length=200, blank=True, editable=False)

    objects = EntityQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("goods receipt")
        verbose_name_plural = _("goods receipts")
        constraints = [
            models.UniqueConstraint(fields=["company", "number_value"], name="gr_number_once")
        ]

    def __str__(self):
        return f"{_('Goods receipt')} {self.number}"


class GoodsReceiptLine(models.Model):
    """One purchase-order line's part of a goods receipt: the quantity taken in and, for a
    serial-tracked product, the serial numbers of the units."""

    receipt = models.ForeignKey(
        GoodsReceipt,
        verbose_name=_("goods receipt"),
        on_delete=models.CASCADE,
        related_name="lines",
        editable=False,
    )
    position = models.PositiveIntegerField(_("line"), editable=False)
    order_line = models.PositiveIntegerField(
        _("order line"), editable=False, help_text=_("The purchase order's line received.")
    )
    product = models.ForeignKey(
        "catalogue.Product",
        verbose_name=_("product"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    name = models.CharField(_("description"), max_length=300, editable=False)
    quantity = models.DecimalField(
        _("quantity received"), max_digits=12, decimal_places=3, editable=False
    )
    serials = models.JSONField(_("serial numbers"), default=list, blank=True, editable=False)

    objects = EntityQuerySet.as_manager()

    class Meta:
        ordering = ["receipt", "position"]
        verbose_name = _("goods receipt line")
        verbose_name_plural = _("goods receipt lines")
        constraints = [
            models.UniqueConstraint(fields=["receipt", "position"], name="gr_line_position")
        ]

    def __str__(self):
        return f"{self.position}. {self.name}"


class SupplierInvoice(KesherModel):
    """A supplier's invoice, recorded as an expense (REQ SA-10, RE-1): under the supplier's
    own number, with VAT per line and its shekel amounts at the rate of its date. Recorded, it
    is locked; its open balance is what its payments and credit notes have not settled yet.

    A supplier's **credit note** (חשבונית מס זיכוי, the only correction of an issued invoice,
    ISRAEL.md) is kept here too, as billing keeps its credit notes among its tax documents:
    ``kind`` says which, ``credited_invoice`` names the invoice it corrects, each of its lines
    credits one of that invoice's lines whole (``source_line``), at the invoice's rate."""

    class Kind(models.TextChoices):
        INVOICE = "invoice", _("Supplier invoice")
        CREDIT_NOTE = "credit_note", _("Supplier credit note")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        RECORDED = "recorded", _("Recorded")

    kind = models.CharField(
        _("document type"),
        max_length=12,
        choices=Kind.choices,
        default=Kind.INVOICE,
        editable=False,
    )
    credited_invoice = models.ForeignKey(
        "self",
        verbose_name=_("credits invoice"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="credit_notes",
        editable=False,
        help_text=_("The supplier invoice a credit note corrects."),
    )
    return_warehouse = models.ForeignKey(
        "stock.Warehouse",
        verbose_name=_("goods returned from"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        help_text=_(
            "A credit note for goods sent back to the supplier: the warehouse they leave when "
            "it is recorded."
        ),
    )

    supplier_number = models.CharField(
        _("supplier's number"), max_length=60, help_text=_("The number on the supplier's invoice.")
    )
    supplier = _supplier("supplier_invoices")
    purchase_order = models.ForeignKey(
        PurchaseOrder,
        verbose_name=_("purchase order"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="supplier_invoices",
    )
    company = _company("supplier_invoices")
    owner = owner_fk("owned_supplier_invoices")
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    expense_category = choice_fk("expense_category", _("expense category"))
    doc_date = models.DateField(_("date"), default=timezone.localdate)
    payment_terms = models.ForeignKey(
        "billing.PaymentTerms",
        verbose_name=_("payment terms"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"active": True},
    )
    due_date = models.DateField(_("due date"), null=True, blank=True, editable=False)
    currency = _currency()
    exchange_rate = models.DecimalField(
        _("exchange rate"),
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.000001"))],
        help_text=_("Shekels per unit, as on the supplier's invoice; empty: the rate of its date."),
        **RATE,
    )
    net = _amount(_("before VAT"), editable=False)
    vat = _amount(_("VAT"), editable=False)
    total = _amount(_("total"), editable=False)
    net_ils = _amount(_("before VAT (₪)"), None, editable=False)
    vat_ils = _amount(_("VAT (₪)"), None, editable=False)
    total_ils = _amount(_("total (₪)"), None, editable=False)
    credited = _amount(_("credited"), editable=False)
    paid = _amount(_("paid"), editable=False)
    balance = _amount(_("open balance"), editable=False)
    recorded_at = models.DateTimeField(_("recorded"), null=True, blank=True, editable=False)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["-doc_date", "-id"]
        verbose_name = _("supplier invoice")
        verbose_name_plural = _("supplier invoices")
        indexes = [
            models.Index(fields=["doc_date", "id"], name="supinv_date"),
            models.Index(fields=["owner", "status"], name="supinv_owner_status"),
            models.Index(fields=["supplier", "status"], name="supinv_supplier_status"),
            models.Index(fields=["due_date"], name="supinv_due"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.supplier_number}"

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def is_credit_note(self) -> bool:
        return self.kind == self.Kind.CREDIT_NOTE


class SupplierInvoiceLine(PurchaseLine):
    invoice = models.ForeignKey(SupplierInvoice, on_delete=models.CASCADE, related_name="lines")
    source_line = models.PositiveIntegerField(
        _("credits line"),
        null=True,
        blank=True,
        help_text=_("On a credit note: the credited invoice's line."),
    )
    serials = models.JSONField(
        _("serial numbers"),
        default=list,
        blank=True,
        help_text=_("On a credit note for goods sent back: the serial numbers that go back."),
    )
    net_ils = _amount(_("before VAT (₪)"), None)
    vat_ils = _amount(_("VAT (₪)"), None)
    total_ils = _amount(_("total (₪)"), None)

    class Meta:
        ordering = ["invoice", "position"]
        verbose_name = _("supplier invoice line")
        verbose_name_plural = _("supplier invoice lines")
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="supinv_line_position")
        ]


class PaymentMeans(models.TextChoices):
    CASH = "cash", _("Cash")
    CHEQUE = "cheque", _("Cheque")
    TRANSFER = "transfer", _("Bank transfer")


class SupplierPayment(KesherModel):
    """A payment to a supplier (REQ RE-1: money out): cash, a cheque (bank, branch, account,
    number) or a transfer; its shekel amount at the rate of its day. It pays one recorded
    invoice (``invoice``, in the invoice's currency, never above its open balance) or is
    allocated over several of the supplier's invoices in one currency (``allocations``); what
    is not allocated is an open credit with the supplier, allocated later."""

    supplier = _supplier("supplier_payments")
    invoice = models.ForeignKey(
        SupplierInvoice,
        verbose_name=_("supplier invoice"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payments",
        help_text=_(
            "The one invoice the whole payment pays; empty: allocated over several invoices, "
            "or an open credit."
        ),
    )
    owner = owner_fk("owned_supplier_payments")
    paid_on = models.DateField(_("paid on"), default=timezone.localdate)
    means = models.CharField(_("paid by"), max_length=10, choices=PaymentMeans.choices)
    amount = money(
        models.DecimalField(_("amount"), validators=[MinValueValidator(Decimal("0.01"))], **MONEY),
        "currency",
    )
    withholding = money(
        models.DecimalField(
            _("tax withheld at source"),
            default=Decimal("0"),
            validators=[MinValueValidator(Decimal("0"))],
            help_text=_(
                "Income tax withheld from the supplier (ניכוי במקור), by the rate on his "
                "certificate: with the amount paid it settles his invoices, and it is owed to "
                "the Tax Authority."
            ),
            **MONEY,
        ),
        "currency",
    )
    currency = models.CharField(_("currency"), max_length=3, default=HOME_CURRENCY, editable=False)
    exchange_rate = models.DecimalField(
        _("exchange rate"), default=Decimal("1"), editable=False, **RATE
    )
    amount_ils = _amount(_("amount (₪)"), None, editable=False)
    withholding_ils = _amount(_("tax withheld (₪)"), None, editable=False)
    allocated = _amount(_("allocated to invoices"), editable=False)
    bank = models.CharField(_("bank"), max_length=10, blank=True)
    branch = models.CharField(_("branch"), max_length=10, blank=True)
    bank_account = models.CharField(_("account number"), max_length=20, blank=True)
    cheque_number = models.CharField(_("cheque number"), max_length=20, blank=True)
    reference = models.CharField(
        _("reference"), max_length=60, blank=True, help_text=_("A transfer's reference.")
    )
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["-paid_on", "-id"]
        verbose_name = _("supplier payment")
        verbose_name_plural = _("supplier payments")
        indexes = [
            models.Index(fields=["paid_on", "id"], name="suppay_date"),
            models.Index(fields=["owner", "paid_on"], name="suppay_owner"),
        ]

    def __str__(self):
        title = f"{self.get_means_display()} {self.amount} {self.currency}"
        mark = self.cheque_number or self.reference
        return f"{title} · {mark}" if mark else title

    @property
    def settles(self) -> Decimal:
        """What the payment settles of the supplier's invoices: the amount paid and the tax
        withheld from it."""
        return self.amount + self.withholding

    @property
    def open_credit(self) -> Decimal:
        """What of the payment no invoice takes yet."""
        return self.settles - self.allocated


class SupplierPaymentAllocation(models.Model):
    """The part of a supplier payment that pays one of his invoices."""

    payment = models.ForeignKey(
        SupplierPayment, on_delete=models.CASCADE, related_name="allocations"
    )
    invoice = models.ForeignKey(
        SupplierInvoice,
        verbose_name=_("supplier invoice"),
        on_delete=models.PROTECT,
        related_name="allocations",
    )
    amount = models.DecimalField(
        _("amount"), validators=[MinValueValidator(Decimal("0.01"))], **MONEY
    )

    class Meta:
        ordering = ["payment", "id"]
        verbose_name = _("payment allocation")
        verbose_name_plural = _("payment allocations")
        constraints = [
            models.UniqueConstraint(fields=["payment", "invoice"], name="suppay_alloc_once")
        ]

    def __str__(self):
        return f"{self.invoice_id}: {self.amount}"

"""Israeli tax documents and payments, the sales side (issue 17; REQ SA-10, CU-7, CU-8, OR-4;
docs ISRAEL.md; decision 0076).

One table holds every document of the chain after the order — delivery note, proforma, tax
invoice, tax invoice-receipt, credit note and receipt — on the quotes' ``PricedDocumentBase``
and ``DocumentLine`` (decision 0068), so they share numbering, locking, printing and the
record pages. A draft is edited; issuing takes the next gap-free number of its company and
kind (``kesher.numbering``) and locks it for good; an invoice above the allocation threshold of
its date waits for the Tax Authority's allocation number first. Receipts carry payments.
"""

from __future__ import annotations

import calendar
import datetime
import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from kesher.catalogue.models import MONEY
from kesher.platform.fields import money as shown_as_money
from kesher.platform.models import KesherModel
from kesher.platform.outgoing import validate_public_url
from kesher.quotes.models import DocumentLine, PricedDocumentBase

__all__ = [
    "AllocationRequest",
    "AllocationThreshold",
    "ChequeReturn",
    "ClearingAccount",
    "CustomerTerms",
    "DocumentKind",
    "ExternalInvoice",
    "InvoiceLine",
    "InvoicingAdapter",
    "Payment",
    "PaymentConfirmation",
    "PaymentRequest",
    "PaymentTerms",
    "TaxDocument",
]

ZERO = Decimal("0")


def money(verbose_name, *, currency: str | None = "", **extra):
    """An amount; ``currency`` names the record's currency field (None: in shekels), so pages
    show it as money (``platform.fields.money``); "" for a line, whose document names it."""
    field = models.DecimalField(verbose_name, default=ZERO, **MONEY, **extra)
    return field if currency == "" else shown_as_money(field, currency)


class DocumentKind(models.TextChoices):
    """The documents the bookkeeping rules define (ISRAEL.md); each is numbered on its own."""

    DELIVERY_NOTE = "delivery_note", _("Delivery note")
    PROFORMA = "proforma", _("Proforma invoice")
    # חשבונית עסקה (§9): a demand for payment that is no tax invoice; made a tax invoice later
    # (decision 0086).
    INVOICE = "invoice", _("Transaction invoice")
    TAX_INVOICE = "tax_invoice", _("Tax invoice")
    TAX_INVOICE_RECEIPT = "tax_invoice_receipt", _("Tax invoice-receipt")
    CREDIT_NOTE = "credit_note", _("Credit note")
    RECEIPT = "receipt", _("Receipt")


# Documents that make a debt (and may need an allocation number), and those that settle one.
INVOICES = (DocumentKind.TAX_INVOICE, DocumentKind.TAX_INVOICE_RECEIPT)
WITH_LINES = (
    DocumentKind.DELIVERY_NOTE,
    DocumentKind.PROFORMA,
    DocumentKind.INVOICE,
    DocumentKind.TAX_INVOICE,
    DocumentKind.TAX_INVOICE_RECEIPT,
    DocumentKind.CREDIT_NOTE,
)
WITH_PAYMENTS = (DocumentKind.RECEIPT, DocumentKind.TAX_INVOICE_RECEIPT)
# The Tax Authority's document-type codes (ISRAEL.md).
TAX_AUTHORITY_CODES = {
    DocumentKind.INVOICE: 300,
    DocumentKind.TAX_INVOICE: 305,
    DocumentKind.TAX_INVOICE_RECEIPT: 320,
    DocumentKind.CREDIT_NOTE: 330,
    DocumentKind.PROFORMA: 332,
}


class AllocationThreshold(KesherModel):
    """From a date on, an invoice whose amount before VAT is above ``amount`` (in shekels)
    needs an allocation number (ISRAEL.md: ₪25,000 from 5 May 2024 … ₪5,000 from 1 June
    2026). Data an administrator updates when the Tax Authority moves the threshold."""

    valid_from = models.DateField(_("valid from"), db_index=True)
    amount = models.DecimalField(
        _("threshold before VAT (₪)"), validators=[MinValueValidator(ZERO)], **MONEY
    )
    notes = models.CharField(_("notes"), max_length=200, blank=True)

    class Meta:
        ordering = ["-valid_from"]
        verbose_name = _("allocation threshold")
        verbose_name_plural = _("allocation thresholds")

    def __str__(self):
        return f"{self.valid_from:%d/%m/%Y}: ₪{self.amount:,}"


class PaymentTerms(KesherModel):
    """When an invoice falls due: a number of days from its date ("net 30"), or from the end
    of its month ("שוטף+30", Israel's usual terms) (REQ CU-7)."""

    class Basis(models.TextChoices):
        DATE = "date", _("Days from the invoice date")
        END_OF_MONTH = "eom", _("Days from the end of the month (שוטף)")

    name = models.CharField(_("name"), max_length=100, unique=True)
    basis = models.CharField(_("counted from"), max_length=4, choices=Basis.choices)
    days = models.PositiveIntegerField(_("days"), default=0)
    description = models.CharField(_("description"), max_length=200, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["basis", "days", "id"]
        verbose_name = _("payment terms")
        verbose_name_plural = _("payment terms")

    def __str__(self):
        return self.name

    def due_date(self, day: datetime.date) -> datetime.date:
        """The date an invoice of ``day`` falls due: שוטף+N counts from the month's last day."""
        if self.basis == self.Basis.END_OF_MONTH:
            last = calendar.monthrange(day.year, day.month)[1]
            day = day.replace(day=last)
        return day + datetime.timedelta(days=self.days)


class CustomerTerms(models.Model):
    """A customer's usual payment terms (REQ CU-7): an invoice made for him takes them unless
    it names others. Billing's own table beside the account (decision 0076), so the customers
    app does not learn about invoices; a customer without a row has none (due on the day)."""

    account = models.OneToOneField(
        "customers.Account",
        verbose_name=_("account"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="billing_terms",
    )
    terms = models.ForeignKey(
        PaymentTerms, verbose_name=_("payment terms"), on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("customer's payment terms")
        verbose_name_plural = _("customers' payment terms")

    def __str__(self):
        return f"{self.account_id}: {self.terms}"


class TaxDocument(PricedDocumentBase):
    """A delivery note, proforma, tax invoice, tax invoice-receipt, credit note or receipt
    (ISRAEL.md). Made from an order (its lines copied as priced) or from another document —
    a credit note from the invoice it corrects, a receipt from the invoice it pays — which
    ``based_on`` names, so the chain is kept. Issued, it is locked: only a credit note
    corrects it (§23א)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        AWAITING_ALLOCATION = "awaiting", _("Awaiting allocation number")
        ISSUED = "issued", _("Issued")
        CANCELLED = "cancelled", _("Cancelled by a credit note")

    class Allocation(models.TextChoices):
        NOT_NEEDED = "", _("Not needed")
        PENDING = "pending", _("Requested")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")
        WAIVED = "waived", _("Issued without allocation number")

    kind = models.CharField(_("document type"), max_length=20, choices=DocumentKind.choices)
    name = models.CharField(
        _("reference"),
        max_length=200,
        blank=True,
        help_text=_("What the document is for, or the customer's own order number."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    order = models.ForeignKey(
        "quotes.Order",
        verbose_name=_("order"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tax_documents",
    )
    based_on = models.ForeignKey(
        "self",
        verbose_name=_("based on"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="followers",
        help_text=_("The invoice a credit note corrects or a receipt pays."),
    )
    payment_terms = models.ForeignKey(
        PaymentTerms,
        verbose_name=_("payment terms"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"active": True},
    )
    due_date = models.DateField(_("due date"), null=True, blank=True, editable=False)
    withholding = money(
        _("tax withheld at source"),
        validators=[MinValueValidator(ZERO)],
        help_text=_("ניכוי במקור: what the customer withheld and paid to the Tax Authority."),
    )
    net_ils = money(_("before VAT (₪)"), editable=False, currency=None)
    vat_ils = money(_("VAT (₪)"), editable=False, currency=None)
    total_ils = money(_("total (₪)"), editable=False, currency=None)
    issued_at = models.DateTimeField(_("issued"), null=True, blank=True, editable=False)
    allocation = models.CharField(
        _("allocation"),
        max_length=10,
        choices=Allocation.choices,
        default=Allocation.NOT_NEEDED,
        blank=True,
        editable=False,
    )
    allocation_number = models.CharField(
        _("allocation number"), max_length=40, blank=True, editable=False
    )
    allocation_reason = models.TextField(
        _("allocation refused because"), blank=True, editable=False
    )
    print_count = models.PositiveIntegerField(_("times printed"), default=0, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("tax document")
        verbose_name_plural = _("tax documents")
        indexes = [
            models.Index(fields=["created_at", "id"], name="taxdoc_created"),
            models.Index(fields=["owner", "status"], name="taxdoc_owner_status"),
            models.Index(fields=["account", "kind", "status"], name="taxdoc_account_kind"),
            models.Index(fields=["based_on", "kind"], name="taxdoc_based_on"),
            # The "invoice overdue" trigger's window: due dates passed, documents changed.
            models.Index(fields=["due_date"], name="taxdoc_due"),
            models.Index(fields=["updated_at"], name="taxdoc_updated"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "kind", "number_value"],
                condition=models.Q(number_value__isnull=False),
                name="taxdoc_number_once",
            )
        ]

    def __str__(self):
        label = self.number or f"{_('Draft')} #{self.pk}"
        title = f"{self.get_kind_display()} {label}"
        return f"{title} · {self.name}" if self.name else title

    def clean(self):
        if self.kind == DocumentKind.CREDIT_NOTE and not self.based_on_id:
            raise ValidationError({"based_on": _("A credit note names the invoice it corrects.")})
        if self.based_on_id and self.based_on.account_id != self.account_id:
            raise ValidationError({"based_on": _("That document is another customer's.")})
        converted = self.based_on_id and self.kind in INVOICES
        if converted and self.based_on.kind != DocumentKind.INVOICE:
            raise ValidationError(
                {"based_on": _("A tax invoice is made from a transaction invoice.")}
            )
        pays_or_credits = self.kind in (DocumentKind.CREDIT_NOTE, DocumentKind.RECEIPT)
        if self.based_on_id and pays_or_credits and self.based_on.kind not in INVOICES:
            raise ValidationError({"based_on": _("Name a tax invoice.")})

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def is_invoice(self) -> bool:
        return self.kind in INVOICES


class InvoiceLine(DocumentLine):
    """A document's line as priced (decision 0065), with its VAT rate on the document's date
    and, for a foreign currency, its shekel amounts at the document's rate."""

    document = models.ForeignKey(
        TaxDocument, verbose_name=_("tax document"), on_delete=models.CASCADE, related_name="lines"
    )
    source_line = models.PositiveIntegerField(
        _("credits line"), null=True, blank=True, help_text=_("The credited invoice's line.")
    )
    net_ils = money(_("before VAT (₪)"))
    vat_ils = money(_("VAT (₪)"))
    total_ils = money(_("total (₪)"))

    class Meta:
        ordering = ["document", "position"]
        verbose_name = _("document line")
        verbose_name_plural = _("document lines")
        constraints = [
            models.UniqueConstraint(fields=["document", "position"], name="taxdoc_line_position")
        ]


class Payment(models.Model):
    """One means of payment on a receipt or invoice-receipt (REQ CU-7): cash, a cheque (bank,
    branch, account, number, date), a bank transfer or a credit card, by its reference."""

    class Method(models.TextChoices):
        CASH = "cash", _("Cash")
        CHEQUE = "cheque", _("Cheque")
        TRANSFER = "transfer", _("Bank transfer")
        CREDIT_CARD = "card", _("Credit card")

    document = models.ForeignKey(TaxDocument, on_delete=models.CASCADE, related_name="payments")
    position = models.PositiveIntegerField(_("line"))
    method = models.CharField(_("paid by"), max_length=10, choices=Method.choices)
    amount = models.DecimalField(
        _("amount"), validators=[MinValueValidator(Decimal("0.01"))], **MONEY
    )
    paid_on = models.DateField(_("date"), help_text=_("A cheque's date; the day of the payment."))
    bank = models.CharField(_("bank"), max_length=10, blank=True)
    branch = models.CharField(_("branch"), max_length=10, blank=True)
    bank_account = models.CharField(_("account number"), max_length=20, blank=True)
    cheque_number = models.CharField(_("cheque number"), max_length=20, blank=True)
    reference = models.CharField(
        _("reference"), max_length=60, blank=True, help_text=_("A transfer's or card's reference.")
    )

    class Meta:
        ordering = ["document", "position"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")

    def __str__(self):
        return f"{self.get_method_display()} {self.amount}"


class AllocationRequest(models.Model):
    """The worker's request for one invoice's allocation number (ISRAEL.md). Sent with the
    same idempotency key on every attempt — after an outage, a crash or ``kill -9`` — so the
    Tax Authority answers a repeat with the same number. Claimed by one worker at a time
    (pending → sending), retried with back-off until answered."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting to be sent")
        SENDING = "sending", _("sending")
        APPROVED = "approved", _("approved")
        REFUSED = "refused", _("refused")

    document = models.OneToOneField(
        TaxDocument, on_delete=models.CASCADE, related_name="allocation_request"
    )
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("allocation request")
        verbose_name_plural = _("allocation requests")
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="allocation_due")]

    def __str__(self):
        return f"{self.document_id} {self.status}"


# The means of payment, by one name in the OpenAPI schema (settings.ENUM_NAME_OVERRIDES).
PAYMENT_METHODS = Payment.Method


# --- payment links, held cheques (issue 17 items 3 and 5; decision 0084) -----------------------


class ClearingAccount(KesherModel):
    """The business's account at a clearing provider (סליקה): which provider, the terminal
    and the secret that signs what goes between them — data an administrator sets, no code.
    The first active account makes the payment links."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    provider = models.CharField(
        _("provider"), max_length=40, help_text=_("The provider's key in Kesher, e.g. generic.")
    )
    terminal = models.CharField(_("terminal"), max_length=60)
    # Only a public address unless the operator allows the host (decision 0113).
    api_url = models.URLField(
        _("provider's address"), max_length=300, blank=True, validators=[validate_public_url]
    )
    secret = models.CharField(
        _("secret"),
        max_length=200,
        blank=True,
        help_text=_("Shared with the provider; signs its confirmations. Never shown again."),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("clearing account")
        verbose_name_plural = _("clearing accounts")

    def __str__(self):
        return self.name


class PaymentRequest(models.Model):
    """A payment link for an invoice's open balance (REQ CU-7): one per invoice and amount,
    so asking twice gives the same link; paid, it is recorded as a receipt through the
    receipt service."""

    class Status(models.TextChoices):
        NEW = "new", _("Not sent yet")
        SENT = "sent", _("Sent")
        PAID = "paid", _("Paid")
        DECLINED = "declined", _("Declined")
        FAILED = "failed", _("Paid, not recorded")

    reference = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    invoice = models.ForeignKey(TaxDocument, on_delete=models.PROTECT, related_name="pay_links")
    amount = models.DecimalField(_("amount"), **MONEY)
    clearing = models.ForeignKey(ClearingAccount, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW)
    url = models.URLField(_("payment link"), max_length=500, blank=True)
    provider_id = models.CharField(max_length=100, blank=True)
    last_error = models.TextField(blank=True)
    receipt = models.ForeignKey(
        TaxDocument, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    message = models.ForeignKey(
        "integrations.OutgoingMessage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("payment link")
        verbose_name_plural = _("payment links")
        constraints = [
            models.UniqueConstraint(fields=["invoice", "amount"], name="paylink_once_per_amount")
        ]

    def __str__(self):
        return f"{self.invoice_id} {self.amount} {self.status}"


class PaymentConfirmation(models.Model):
    """Each confirmation the provider sent, by its event id: a repeat of the same event is
    recorded once and settles nothing twice."""

    request = models.ForeignKey(
        PaymentRequest, on_delete=models.CASCADE, related_name="confirmations"
    )
    event_id = models.CharField(max_length=100)
    approved = models.BooleanField()
    body = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("payment confirmation")
        verbose_name_plural = _("payment confirmations")
        constraints = [
            models.UniqueConstraint(
                fields=["request", "event_id"], name="paylink_confirmation_once"
            )
        ]

    def __str__(self):
        return f"{self.request_id} {self.event_id}"


class ChequeReturn(models.Model):
    """A cheque that bounced (חזר): the locked receipt stays as issued; this row takes its
    payment out of the invoice's settled amount, with who marked it, when and why."""

    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="returned")
    returned_on = models.DateField(_("returned on"))
    reason = models.CharField(_("reason"), max_length=200)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("returned cheque")
        verbose_name_plural = _("returned cheques")

    def __str__(self):
        return f"{self.payment_id} {self.returned_on}"


# --- handing orders over to outside invoicing software (issue 17 item 5; decision 0084) ---------


class InvoicingAdapter(KesherModel):
    """Outside invoicing software the business keeps its invoices in: when one is enabled, an
    order is handed over to it (a signed JSON POST through the outgoing webhooks) instead of
    invoiced in Kesher, and the software posts back its document's number and address."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(
        _("adapter"), max_length=40, default="webhook", help_text=_("How orders are handed over.")
    )
    url = models.URLField(_("address"), max_length=500)
    secret = models.CharField(
        _("secret"),
        max_length=200,
        blank=True,
        help_text=_("Signs the orders sent and checks the documents posted back."),
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    description = models.CharField(_("description"), max_length=200, blank=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("invoicing software")
        verbose_name_plural = _("invoicing software")

    def __str__(self):
        return self.name


class ExternalInvoice(models.Model):
    """An order handed over to outside invoicing software — at most once — and the number and
    address of the document it made there."""

    order = models.OneToOneField(
        "quotes.Order", on_delete=models.PROTECT, related_name="external_invoice"
    )
    adapter = models.ForeignKey(InvoicingAdapter, on_delete=models.PROTECT, related_name="+")
    reference = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    delivery = models.ForeignKey(
        "integrations.WebhookDelivery",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    number = models.CharField(_("external document number"), max_length=60, blank=True)
    url = models.URLField(_("external document address"), max_length=500, blank=True)
    handed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    handed_at = models.DateTimeField(auto_now_add=True)
    recorded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("order handed over")
        verbose_name_plural = _("orders handed over")

    def __str__(self):
        return f"{self.order_id} {self.number}"

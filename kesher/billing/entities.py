"""Tax documents, payment terms and allocation thresholds in the platform registry: lists,
record pages, forms, API, search, export and the access matrix come from these; lines,
payments, issuing, printing and allocation decisions are the app's own pages and API
(issue 17; decision 0076)."""

from django import forms
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from kesher.billing import services
from kesher.billing.models import (
    AllocationThreshold,
    ClearingAccount,
    InvoiceLine,
    InvoicingAdapter,
    PaymentTerms,
    TaxDocument,
)
from kesher.platform.registry import Entity, ListedOn, Section, register
from kesher.quotes.entities import COST_HIDDEN_WITH, line_entity

TOTALS = ("net", "vat", "total")
SHEKELS = ("exchange_rate", "net_ils", "vat_ils", "total_ils")
# What an issued document must go on showing (ISRAEL.md, a tax invoice's mandatory fields):
# its kind, number, date, customer, chain, currency and amounts. The free text (notes) and the
# contact it was addressed to are a person's data, anonymized when he asks.
RETAINED_FIELDS = (
    "kind",
    "number",
    "name",
    "account",
    "order",
    "based_on",
    "company",
    "doc_date",
    "due_date",
    "currency",
    *TOTALS,
    *SHEKELS,
    "allocation_number",
)


def kept_by_law(document: TaxDocument) -> bool:
    """A document once issued (or waiting for its allocation number) is kept; a draft is not."""
    return document.status != TaxDocument.Status.DRAFT


tax_documents = register(
    Entity(
        key="tax-documents",
        model=TaxDocument,
        # Issued documents are kept 7 years (ISRAEL.md): erasing a person's data or a retention
        # rule leaves what the document must show and anonymizes the rest (decision 0078).
        retained_by_law=kept_by_law,
        retained_fields=RETAINED_FIELDS,
        large=True,
        linkable=True,
        label=_("tax document"),
        label_plural=_("Invoices and receipts"),
        icon="🧮",
        nav_order=35,
        list_columns=(
            "number",
            "kind",
            "name",
            "account",
            "status",
            "total",
            "doc_date",
            "due_date",
        ),
        form_fields=(
            "kind",
            "name",
            "account",
            "contact",
            "order",
            "based_on",
            "company",
            "currency",
            "doc_date",
            "payment_terms",
            "withholding",
            "owner",
            "notes",
        ),
        sections=(
            Section(
                _("Document"),
                (
                    "kind",
                    "number",
                    "name",
                    "status",
                    "account",
                    "contact",
                    "order",
                    "based_on",
                    "company",
                ),
            ),
            Section(
                _("Terms"),
                ("currency", "doc_date", "payment_terms", "due_date", "issued_at", "print_count"),
            ),
            Section(_("Totals"), (*TOTALS, "withholding", *SHEKELS)),
            Section(
                _("Allocation number"),
                ("allocation", "allocation_number", "allocation_reason"),
            ),
            Section(_("Notes"), ("notes",)),
        ),
        headline_fields=("kind", "status", "total", "due_date", "owner"),
        listed_on=(
            ListedOn(
                "accounts",
                "account",
                _("Invoices and receipts"),
                ("number", "kind", "status", "total", "due_date"),
            ),
            ListedOn(
                "orders", "order", _("Invoices and delivery notes"), ("number", "kind", "status")
            ),
        ),
        search_words=("number", "name", "allocation_number"),
        filter_fields=("kind", "status", "account", "owner", "company", "allocation"),
        ordering_fields=("created_at", "number", "total", "doc_date", "due_date", "id"),
        default_ordering=("-created_at", "-id"),
        select_related=("account", "owner"),
        # A document is seen by whoever sees its customer (decision 0076).
        scope_via=("account",),
        status_field="status",
        hidden_with=COST_HIDDEN_WITH,
        create_service=services.document_create,
        update_service=services.document_update,
        importable=False,
        api_example={
            "kind": "tax_invoice",
            "order": 8,
            "doc_date": "2026-12-06",
            "payment_terms": 2,
        },
    )
)

invoice_lines = line_entity(
    "invoice-lines",
    InvoiceLine,
    whole="tax-documents",
    link="document",
    label=_("invoice line"),
    label_plural=_("Invoice lines"),
    nav_order=351,
    # A credit note's line names the invoice line it credits; shekel amounts of a document in
    # a foreign currency at its rate.
    extra=("source_line", "net_ils", "vat_ils", "total_ils"),
)

payment_terms = register(
    Entity(
        key="payment-terms",
        model=PaymentTerms,
        label=_("payment terms"),
        label_plural=_("Payment terms"),
        icon="⏳",
        nav_order=979,
        list_columns=("name", "basis", "days", "active"),
        form_fields=("name", "basis", "days", "description", "active"),
        sections=(Section(_("Payment terms"), ("name", "basis", "days", "description", "active")),),
        search_words=("name",),
        filter_fields=("basis", "active"),
        ordering_fields=("days", "name", "id"),
        default_ordering=("basis", "days", "id"),
        owner_field=None,
        natural_keys=("name",),
        api_example={"name": "שוטף + 45", "basis": "eom", "days": 45},
    )
)

allocation_thresholds = register(
    Entity(
        key="allocation-thresholds",
        model=AllocationThreshold,
        label=_("allocation threshold"),
        label_plural=_("Allocation thresholds"),
        icon="🔢",
        nav_order=980,
        list_columns=("valid_from", "amount", "notes"),
        form_fields=("valid_from", "amount", "notes"),
        sections=(Section(_("Allocation threshold"), ("valid_from", "amount", "notes")),),
        ordering_fields=("valid_from", "id"),
        default_ordering=("-valid_from", "id"),
        owner_field=None,
        natural_keys=("valid_from",),
        api_example={"valid_from": "2026-06-01", "amount": "5000.00"},
    )
)


class SecretForm(forms.ModelForm):
    """The form of settings with a secret (a clearing account, invoicing software): the
    secret is typed, never shown back; left empty on an edit, the stored one stays."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "secret" in self.fields:
            self.fields["secret"].widget = forms.PasswordInput(render_value=False)
            self.fields["secret"].required = self.instance.pk is None


class SecretMixin(serializers.Serializer):
    """The secret is written through the API, never read back."""

    secret = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=200, trim_whitespace=False
    )


clearing_accounts = register(
    Entity(
        key="clearing-accounts",
        model=ClearingAccount,
        label=_("clearing account"),
        label_plural=_("Clearing accounts"),
        icon="💳",
        nav_order=981,
        list_columns=("name", "provider", "terminal", "active"),
        form_fields=("name", "provider", "terminal", "api_url", "secret", "active"),
        sections=(
            Section(_("Clearing account"), ("name", "provider", "terminal", "api_url", "active")),
        ),
        search_words=("name", "terminal"),
        filter_fields=("provider", "active"),
        ordering_fields=("name", "id"),
        default_ordering=("name", "id"),
        owner_field=None,
        natural_keys=("name",),
        audit_exclude=("secret",),
        importable=False,
        create_service=services.clearing_account_create,
        update_service=services.clearing_account_update,
        form_mixin=SecretForm,
        serializer_mixin=SecretMixin,
        api_example={
            "name": "סליקה ראשית",
            "provider": "generic",
            "terminal": "kesher01",
            "api_url": "https://pay.example.co.il/api",
        },
    )
)

invoicing_software = register(
    Entity(
        key="invoicing-software",
        model=InvoicingAdapter,
        label=_("invoicing software"),
        label_plural=_("Invoicing software"),
        icon="🔗",
        nav_order=982,
        list_columns=("name", "kind", "url", "enabled"),
        form_fields=("name", "kind", "url", "secret", "enabled", "description"),
        sections=(
            Section(_("Invoicing software"), ("name", "kind", "url", "enabled", "description")),
        ),
        search_words=("name",),
        filter_fields=("kind", "enabled"),
        ordering_fields=("name", "id"),
        default_ordering=("name", "id"),
        owner_field=None,
        natural_keys=("name",),
        audit_exclude=("secret",),
        importable=False,
        create_service=services.invoicing_adapter_create,
        update_service=services.invoicing_adapter_update,
        form_mixin=SecretForm,
        serializer_mixin=SecretMixin,
        api_example={
            "name": "תוכנת הנהלת החשבונות",
            "kind": "webhook",
            "url": "https://books.example.co.il/kesher/orders",
        },
    )
)

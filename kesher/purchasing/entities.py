"""Purchase orders, supplier invoices and supplier payments in the platform registry: lists,
record pages, forms, API, search, export, reports (decision 0071) and the access matrix come
from these; lines, ordering, receiving and recording are the app's own pages and API
(issue 17; decision 0087)."""

from django.utils.translation import gettext_lazy as _

from kesher.platform.registry import Entity, ListedOn, Section, register
from kesher.purchasing import services
from kesher.purchasing.models import (
    GoodsReceipt,
    GoodsReceiptLine,
    PurchaseOrder,
    SupplierInvoice,
    SupplierPayment,
)

TOTALS = ("net", "vat", "total")
SHEKELS = ("exchange_rate", "net_ils", "vat_ils", "total_ils")


def kept_by_law(record) -> bool:
    """A recorded expense is part of the books (ISRAEL.md: seven years); a draft is not."""
    return record.status != "draft"


purchase_orders = register(
    Entity(
        key="purchase-orders",
        model=PurchaseOrder,
        retained_by_law=kept_by_law,
        retained_fields=("number", "name", "supplier", "company", "doc_date", "currency", *TOTALS),
        # A link to one (a supplier invoice's order, a filter) is chosen as typed: a business
        # orders thousands a year, too many for a <select>.
        large=True,
        label=_("purchase order"),
        label_plural=_("Purchase orders"),
        icon="📦",
        nav_order=37,
        list_columns=("number", "name", "supplier", "status", "total", "doc_date", "expected_on"),
        form_fields=(
            "name",
            "supplier",
            "company",
            "doc_date",
            "expected_on",
            "warehouse",
            "currency",
            "owner",
            "notes",
        ),
        sections=(
            Section(
                _("Purchase order"),
                ("number", "name", "status", "supplier", "company", "owner"),
            ),
            Section(
                _("Delivery"),
                ("doc_date", "expected_on", "warehouse", "ordered_at", "received_at"),
            ),
            Section(_("Totals"), ("currency", *TOTALS)),
            Section(_("Notes"), ("notes",)),
        ),
        headline_fields=("status", "supplier", "total", "expected_on", "owner"),
        listed_on=(
            ListedOn(
                "accounts",
                "supplier",
                _("Purchase orders"),
                ("number", "status", "total", "doc_date"),
            ),
        ),
        search_words=("number", "name"),
        filter_fields=("status", "supplier", "owner", "company", "warehouse"),
        ordering_fields=("created_at", "number", "total", "doc_date", "expected_on", "id"),
        default_ordering=("-created_at", "-id"),
        select_related=("supplier", "owner"),
        # A purchase document is seen by whoever sees its supplier, as a sales document is with
        # its customer (decision 0076), within the reader's grant on purchasing (decision 0087).
        scope_via=("supplier",),
        status_field="status",
        create_service=services.purchase_order_create,
        update_service=services.purchase_order_update,
        importable=False,
        api_example={"name": "מלאי מחשבים לרבעון", "supplier": 41, "warehouse": 1},
    )
)

supplier_invoices = register(
    Entity(
        key="supplier-invoices",
        model=SupplierInvoice,
        retained_by_law=kept_by_law,
        retained_fields=(
            "supplier_number",
            "kind",
            "credited_invoice",
            "supplier",
            "purchase_order",
            "company",
            "doc_date",
            "due_date",
            "currency",
            *TOTALS,
            *SHEKELS,
        ),
        # A payment names its invoice with the picker, found by the supplier's number.
        large=True,
        label=_("supplier invoice"),
        label_plural=_("Supplier invoices"),
        icon="🧾",
        nav_order=38,
        list_columns=(
            "supplier_number",
            "kind",
            "supplier",
            "status",
            "expense_category",
            "doc_date",
            "due_date",
            "total_ils",
            "balance",
        ),
        form_fields=(
            "supplier_number",
            "supplier",
            "purchase_order",
            "company",
            "expense_category",
            "doc_date",
            "payment_terms",
            "currency",
            "exchange_rate",
            "owner",
            "notes",
        ),
        sections=(
            Section(
                _("Supplier invoice"),
                (
                    "supplier_number",
                    "kind",
                    "credited_invoice",
                    "supplier",
                    "status",
                    "purchase_order",
                    "company",
                    "expense_category",
                    "owner",
                ),
            ),
            Section(_("Terms"), ("doc_date", "payment_terms", "due_date", "recorded_at")),
            Section(_("Totals"), ("currency", *TOTALS, *SHEKELS, "credited", "paid", "balance")),
            Section(_("Notes"), ("notes",)),
        ),
        headline_fields=("status", "supplier", "total", "balance", "due_date"),
        listed_on=(
            ListedOn(
                "accounts",
                "supplier",
                _("Supplier invoices"),
                ("supplier_number", "kind", "status", "total", "balance", "due_date"),
            ),
            ListedOn(
                "purchase-orders",
                "purchase_order",
                _("Supplier invoices"),
                ("supplier_number", "kind", "status", "total"),
            ),
            ListedOn(
                "supplier-invoices",
                "credited_invoice",
                _("Credit notes"),
                ("supplier_number", "status", "doc_date", "total"),
            ),
        ),
        search_words=("supplier_number",),
        filter_fields=("kind", "status", "supplier", "expense_category", "owner", "company"),
        ordering_fields=("doc_date", "due_date", "total_ils", "balance", "created_at", "id"),
        default_ordering=("-doc_date", "-id"),
        select_related=("supplier", "owner", "expense_category"),
        scope_via=("supplier",),
        status_field="status",
        choice_lists={"expense_category": "expense_category"},
        create_service=services.supplier_invoice_create,
        update_service=services.supplier_invoice_update,
        importable=False,
        api_example={
            "supplier_number": "INV-40117",
            "supplier": 41,
            "doc_date": "2026-12-01",
            "payment_terms": 2,
            "currency": "USD",
            "exchange_rate": "3.712000",
        },
    )
)

supplier_payments = register(
    Entity(
        key="supplier-payments",
        model=SupplierPayment,
        label=_("supplier payment"),
        label_plural=_("Supplier payments"),
        icon="💸",
        nav_order=39,
        list_columns=(
            "paid_on",
            "supplier",
            "invoice",
            "means",
            "amount",
            "currency",
            "amount_ils",
        ),
        form_fields=(
            # The invoice it pays names the supplier; without one (several invoices, an open
            # credit) the supplier is chosen, after what was paid.
            "invoice",
            "amount",
            "withholding",
            "means",
            "paid_on",
            "supplier",
            "bank",
            "branch",
            "bank_account",
            "cheque_number",
            "reference",
            "owner",
            "notes",
        ),
        sections=(
            Section(
                _("Supplier payment"),
                ("invoice", "supplier", "paid_on", "means", "amount", "owner"),
            ),
            Section(
                _("Amounts"),
                (
                    "withholding",
                    "currency",
                    "exchange_rate",
                    "amount_ils",
                    "withholding_ils",
                    "allocated",
                ),
            ),
            Section(
                _("Cheque or transfer"),
                ("bank", "branch", "bank_account", "cheque_number", "reference"),
            ),
            Section(_("Notes"), ("notes",)),
        ),
        headline_fields=("means", "amount", "paid_on", "owner"),
        listed_on=(
            ListedOn(
                "accounts", "supplier", _("Supplier payments"), ("paid_on", "means", "amount")
            ),
        ),
        search_words=("cheque_number", "reference"),
        filter_fields=("means", "supplier", "invoice", "owner"),
        ordering_fields=("paid_on", "amount", "created_at", "id"),
        default_ordering=("-paid_on", "-id"),
        select_related=("supplier", "invoice", "owner"),
        scope_via=("supplier",),
        create_service=services.supplier_payment_create,
        update_service=services.supplier_payment_update,
        delete_service=services.supplier_payment_delete,
        importable=False,
        api_example={
            "invoice": 7,
            "paid_on": "2026-12-06",
            "means": "transfer",
            "amount": "1500.00",
            "reference": "העברה 88213",
        },
    )
)

# A goods receipt and its lines are parts of their purchase order (decision 0103): read by
# whoever sees the order, made only by receiving it (``purchase_order_receive``), never
# written through the generic routes (decision 0118).
goods_receipts = register(
    Entity(
        key="goods-receipts",
        model=GoodsReceipt,
        large=True,
        label=_("goods receipt"),
        label_plural=_("Goods receipts"),
        icon="📥",
        nav_order=371,
        in_navigation=False,
        list_columns=("number", "purchase_order", "supplier", "warehouse", "received_at"),
        sections=(
            Section(
                _("Goods receipt"),
                (
                    "number",
                    "purchase_order",
                    "supplier",
                    "company",
                    "warehouse",
                    "received_at",
                    "received_by",
                ),
            ),
        ),
        headline_fields=("purchase_order", "supplier", "warehouse", "received_at"),
        listed_on=(
            ListedOn(
                "purchase-orders",
                "purchase_order",
                _("Goods receipts"),
                ("number", "warehouse", "received_at", "received_by"),
            ),
        ),
        # Found by its number or by its order's (``notes`` names the order as received).
        search_words=("number", "notes"),
        filter_fields=("purchase_order", "supplier", "warehouse", "company"),
        ordering_fields=("received_at", "number_value", "id"),
        default_ordering=("-received_at", "-id"),
        select_related=("purchase_order", "supplier", "warehouse"),
        title_related=(),
        owner_field=None,
        scope_via=("purchase_order",),
        part_of="purchase-orders",
        importable=False,
        custom_fields=False,
    )
)

goods_receipt_lines = register(
    Entity(
        key="goods-receipt-lines",
        model=GoodsReceiptLine,
        large=True,
        label=_("goods receipt line"),
        label_plural=_("Goods receipt lines"),
        icon="≡",
        nav_order=372,
        in_navigation=False,
        list_columns=("receipt", "position", "order_line", "product", "name", "quantity"),
        sections=(
            Section(
                _("Goods receipt lines"),
                ("receipt", "position", "order_line", "product", "name", "quantity", "serials"),
            ),
        ),
        headline_fields=("receipt", "product", "quantity"),
        listed_on=(
            ListedOn(
                "goods-receipts",
                "receipt",
                _("Lines"),
                ("position", "order_line", "name", "quantity", "serials"),
            ),
        ),
        filter_fields=("receipt", "product"),
        ordering_fields=("position", "quantity", "id"),
        default_ordering=("receipt", "position"),
        select_related=("receipt", "product"),
        title_related=(),
        owner_field=None,
        scope_via=("receipt",),
        part_of="purchase-orders",
        importable=False,
        custom_fields=False,
    )
)

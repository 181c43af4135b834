"""Built-in finance and stock reports (REQ RE-1, RE-3; decision 0103), beside purchasing's
expenses and money paid out by month (purchasing/0002): income by month from the tax invoices
issued and what credit notes took back, money in by month from receipts and invoice-receipts;
stock on hand by product and warehouse, what is below its minimum, and the moves by month and
type. Shared with the managers (who see purchasing too); stock also with the sales reps and
read-only users, who see the warehouses. Data: administrators change or delete them."""

from django.db import migrations

FINANCE = ("manager",)
STOCK = ("manager", "sales_rep", "read_only")
ISSUED = {"field": "status", "op": "in", "value": ["issued", "awaiting", "cancelled"]}
LAST_YEAR = {"field": "doc_date", "op": "within_last_days", "value": 365}


def _documents(*kinds: str) -> dict:
    return {"all": [{"field": "kind", "op": "in", "value": list(kinds)}, ISSUED, LAST_YEAR]}


def _by_month(*kinds: str, figure: str) -> dict:
    return {
        "entity": "tax-documents",
        "filter": _documents(*kinds),
        "group_by": [{"field": "doc_date", "bucket": "month"}],
        "measures": [{"agg": "sum", "field": figure}, {"agg": "count"}],
        "display": "chart",
        "chart": "bar",
    }


# key: (name, description, roles, definition)
REPORTS = {
    "income_by_month": (
        "הכנסות לפי חודש",
        "Income by month: tax invoices and invoice-receipts issued, before VAT, in shekels "
        "(credit notes in their own report).",
        FINANCE,
        _by_month("tax_invoice", "tax_invoice_receipt", figure="net_ils"),
    ),
    "credits_by_month": (
        "חשבוניות זיכוי לפי חודש",
        "Credit notes issued by month, before VAT, in shekels: what is taken off the income.",
        FINANCE,
        _by_month("credit_note", figure="net_ils"),
    ),
    "cash_in_by_month": (
        "תקבולים לפי חודש",
        "Cash in: receipts and invoice-receipts by month, in shekels (set against the supplier "
        "payments by month).",
        FINANCE,
        _by_month("receipt", "tax_invoice_receipt", figure="total_ils"),
    ),
    "stock_on_hand": (
        "מלאי לפי מוצר ומחסן",
        "Stock on hand: the quantity of each product in each warehouse.",
        STOCK,
        {
            "entity": "stock-on-hand",
            "filter": {"field": "quantity", "op": "ne", "value": 0},
            "group_by": [{"field": "product"}, {"field": "warehouse"}],
            "measures": [{"agg": "sum", "field": "quantity"}],
            "display": "pivot",
            "chart": "stacked_bar",
        },
    ),
    "stock_below_minimum": (
        "מלאי מתחת למינימום",
        "Products below their minimum, by warehouse: the quantity held and the minimum.",
        STOCK,
        {
            "entity": "stock-on-hand",
            "filter": {"field": "below_minimum", "op": "eq", "value": True},
            "group_by": [{"field": "warehouse"}, {"field": "product"}],
            "measures": [
                {"agg": "sum", "field": "quantity"},
                {"agg": "sum", "field": "minimum"},
            ],
            "display": "table",
            "chart": "bar",
        },
    ),
    "stock_moves_by_month": (
        "תנועות מלאי לפי חודש וסוג",
        "Stock moves in the last year by month and type: the quantities moved.",
        STOCK,
        {
            "entity": "stock-ledger",
            "filter": {"field": "created_at", "op": "within_last_days", "value": 365},
            "group_by": [{"field": "created_at", "bucket": "month"}, {"field": "kind"}],
            "measures": [{"agg": "sum", "field": "quantity"}, {"agg": "count"}],
            "display": "chart",
            "chart": "stacked_bar",
        },
    ),
}


def create_reports(apps, schema_editor):
    Role = apps.get_model("org", "Role")
    Report = apps.get_model("reports", "Report")
    roles = {r.key: r for r in Role.objects.all()}
    for name, description, role_keys, definition in REPORTS.values():
        if Report.objects.filter(name=name, owner=None).exists():
            continue
        report = Report.objects.create(
            name=name, description=description, entity=definition["entity"], definition=definition
        )
        report.shared_roles.set([roles[k] for k in role_keys if k in roles])


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0005_document_lines"),
        ("stock", "0003_return_to_supplier"),
        ("purchasing", "0002_defaults"),
    ]
    operations = [migrations.RunPython(create_reports, migrations.RunPython.noop)]

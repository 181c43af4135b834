"""Built-in reports over documents' lines (REQ SA-14, seed 003 "sell other products to existing
customers"; decision 0103): where the money comes from by product group and by product, and
what each customer bought of each product group — an empty cell is a group he has not bought.
Invoiced amounts in shekels before VAT, of tax invoices issued (or waiting for their
allocation number); an invoice a credit note cancels is left out. Shipped as data: administrators
change or delete them like any report."""

from django.db import migrations

SALES = ("manager", "sales_rep", "read_only")
INVOICED = {
    "all": [
        {"field": "document.kind", "op": "in", "value": ["tax_invoice", "tax_invoice_receipt"]},
        {"field": "document.status", "op": "in", "value": ["issued", "awaiting"]},
    ]
}


def _invoiced_within(days: int) -> dict:
    return {
        "all": [
            *INVOICED["all"],
            {"field": "document.doc_date", "op": "within_last_days", "value": days},
        ]
    }


# key: (name, description, roles, definition)
REPORTS = {
    "revenue_by_group_quarter": (
        "הכנסות לפי קבוצת מוצרים ורבעון",
        "Invoiced revenue (₪ before VAT) by product group and quarter.",
        SALES,
        {
            "entity": "invoice-lines",
            "filter": _invoiced_within(730),
            "group_by": [
                {"field": "document.doc_date", "bucket": "quarter"},
                {"field": "product.group"},
            ],
            "measures": [{"agg": "sum", "field": "net_ils"}],
            "display": "chart",
            "chart": "stacked_bar",
        },
    ),
    "revenue_by_product": (
        "המוצרים המכניסים ביותר השנה",
        "The 20 products with the most invoiced revenue in the last 365 days.",
        SALES,
        {
            "entity": "invoice-lines",
            "filter": _invoiced_within(365),
            "group_by": [{"field": "product"}],
            "measures": [{"agg": "sum", "field": "net_ils"}, {"agg": "sum", "field": "quantity"}],
            "sort": {"by": "m0", "desc": True},
            "limit": 20,
            "display": "chart",
            "chart": "bar",
        },
    ),
    "cross_selling": (
        "מכירה חוזרת: מה קנה כל לקוח לפי קבוצת מוצרים",
        "Cross-selling: what each customer bought by product group in the last two years; "
        "an empty cell is a group he has not bought.",
        SALES,
        {
            "entity": "invoice-lines",
            "filter": _invoiced_within(730),
            "group_by": [{"field": "document.account"}, {"field": "product.group"}],
            "measures": [{"agg": "sum", "field": "net_ils"}],
            "display": "pivot",
            "chart": "stacked_bar",
        },
    ),
}
# The managers' default dashboard shows revenue by product group.
DASHBOARD_WIDGETS = {"manager": [("revenue_by_group_quarter", 12)]}


def create_reports(apps, schema_editor):
    Role = apps.get_model("org", "Role")
    Report = apps.get_model("reports", "Report")
    Dashboard = apps.get_model("reports", "Dashboard")
    roles = {r.key: r for r in Role.objects.all()}
    ids = {}
    for key, (name, description, role_keys, definition) in REPORTS.items():
        report = Report.objects.filter(name=name, owner=None).first()
        if report is None:
            report = Report.objects.create(
                name=name,
                description=description,
                entity=definition["entity"],
                definition=definition,
            )
            report.shared_roles.set([roles[k] for k in role_keys if k in roles])
        ids[key] = report.pk
    for role_key, widgets in DASHBOARD_WIDGETS.items():
        for dashboard in Dashboard.objects.filter(role__key=role_key):
            present = {w.get("report") for w in dashboard.widgets or [] if isinstance(w, dict)}
            added = [{"report": ids[k], "width": w} for k, w in widgets if ids[k] not in present]
            if added:
                dashboard.widgets = [*(dashboard.widgets or []), *added]
                dashboard.save(update_fields=["widgets"])


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0004_targets_widgets"),
        ("billing", "0005_transaction_invoice"),
        ("quotes", "0004_document_templates"),
    ]
    operations = [migrations.RunPython(create_reports, migrations.RunPython.noop)]

"""Purchasing's starting expense categories, the built-in roles' rights on it and the reports
of expenses and money paid out by month (REQ RE-1; decision 0087). Only managers (and
administrators) see purchasing — a manager the documents of the suppliers he sees: supplier costs are not the sales reps' to see, and no built-in
role keeps the books — an administrator gives a bookkeeper's role these rights as data."""

from django.db import migrations

from kesher.org.grants import apply_grants

CATEGORIES = [  # value, Hebrew, English
    ("goods", "סחורה וחומרים", "Goods and materials"),
    ("subcontractors", "קבלני משנה", "Subcontractors"),
    ("rent", "שכירות ואחזקה", "Rent and upkeep"),
    ("vehicles", "רכב ודלק", "Vehicles and fuel"),
    ("communications", "תקשורת ומחשוב", "Communications and IT"),
    ("professional", "שירותים מקצועיים", "Professional services"),
    ("office", "משרד", "Office"),
    ("other", "אחר", "Other"),
]

ENTITIES = ("purchase-orders", "supplier-invoices", "supplier-payments")
GRANTS = {  # role key: {entity: (view, add, change, delete, scope)}
    "manager": {e: (True, True, True, True, "department") for e in ENTITIES},
}

RECORDED = {"field": "status", "op": "eq", "value": "recorded"}
# key: (name, description, definition); shared with managers.
REPORTS = {
    "expenses_by_month": (
        "הוצאות לפי חודש",
        "Expenses by month: recorded supplier invoices before VAT, in shekels.",
        {
            "entity": "supplier-invoices",
            "filter": RECORDED,
            "group_by": [{"field": "doc_date", "bucket": "month"}],
            "measures": [{"agg": "sum", "field": "net_ils"}, {"agg": "count"}],
            "display": "chart",
            "chart": "bar",
        },
    ),
    "expenses_by_category": (
        "הוצאות לפי חודש וסוג הוצאה",
        "Expenses by month and expense category, before VAT, in shekels.",
        {
            "entity": "supplier-invoices",
            "filter": RECORDED,
            "group_by": [
                {"field": "doc_date", "bucket": "month"},
                {"field": "expense_category"},
            ],
            "measures": [{"agg": "sum", "field": "net_ils"}],
            "display": "chart",
            "chart": "stacked_bar",
        },
    ),
    "paid_out_by_month": (
        "תשלומים לספקים לפי חודש",
        "Cash out: supplier payments by month, in shekels.",
        {
            "entity": "supplier-payments",
            "group_by": [{"field": "paid_on", "bucket": "month"}],
            "measures": [{"agg": "sum", "field": "amount_ils"}, {"agg": "count"}],
            "display": "chart",
            "chart": "bar",
        },
    ),
}


def create_defaults(apps, schema_editor):
    Choice = apps.get_model("platform", "Choice")
    for order, (value, label_he, label_en) in enumerate(CATEGORIES):
        Choice.objects.get_or_create(
            list_key="expense_category",
            value=value,
            defaults={"label_he": label_he, "label_en": label_en, "order": order},
        )
    apply_grants(apps, GRANTS)
    Role = apps.get_model("org", "Role")
    Report = apps.get_model("reports", "Report")
    managers = list(Role.objects.filter(key="manager"))
    for name, description, definition in REPORTS.values():
        if Report.objects.filter(name=name, owner=None).exists():
            continue
        report = Report.objects.create(
            name=name, description=description, entity=definition["entity"], definition=definition
        )
        report.shared_roles.set(managers)


class Migration(migrations.Migration):
    dependencies = [
        ("purchasing", "0001_initial"),
        ("org", "0002_default_roles"),
        ("reports", "0002_defaults"),
    ]
    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]

"""The allocation thresholds in force (ISRAEL.md), the usual payment terms, and the built-in
roles' rights on tax documents; administrators change all three as data afterwards
(REQ CU-7, OR-3; decision 0076)."""

import datetime
from decimal import Decimal

from django.db import migrations

from kesher.org.grants import apply_grants

# From, threshold before VAT in shekels ("over"): VAT implementation order 01/2025.
THRESHOLDS = [
    (datetime.date(2024, 5, 5), Decimal("25000")),
    (datetime.date(2025, 1, 1), Decimal("20000")),
    (datetime.date(2026, 1, 1), Decimal("10000")),
    (datetime.date(2026, 6, 1), Decimal("5000")),
]
TERMS = [  # name, counted from, days
    ("מיידי", "date", 0),
    ("שוטף + 30", "eom", 30),
    ("שוטף + 60", "eom", 60),
    ("שוטף + 90", "eom", 90),
    ("30 יום", "date", 30),
]
ADMIN_DATA = ("payment-terms", "allocation-thresholds")

GRANTS = {  # role key: {entity: (view, add, change, delete, scope)}
    "manager": {
        "tax-documents": (True, True, True, True, "department"),
        **{e: (True, False, False, False, "all") for e in ADMIN_DATA},
    },
    "sales_rep": {
        "tax-documents": (True, True, True, False, "own"),
        **{e: (True, False, False, False, "all") for e in ADMIN_DATA},
    },
    "support_agent": {"tax-documents": (True, False, False, False, "all")},
    "read_only": {"tax-documents": (True, False, False, False, "all")},
}


def create_defaults(apps, schema_editor):
    Threshold = apps.get_model("billing", "AllocationThreshold")
    for valid_from, amount in THRESHOLDS:
        Threshold.objects.get_or_create(valid_from=valid_from, defaults={"amount": amount})
    Terms = apps.get_model("billing", "PaymentTerms")
    for name, basis, days in TERMS:
        Terms.objects.get_or_create(name=name, defaults={"basis": basis, "days": days})
    apply_grants(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial"), ("org", "0002_default_roles")]
    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]

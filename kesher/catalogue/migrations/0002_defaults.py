"""The catalogue's starting pick-lists (units, VAT categories), the VAT rates in force, and the
built-in roles' rights and discount limits; administrators change all of them as data
afterwards (REQ SA-8, SA-9, CX-4, OR-3). Who may not see the cost price is a field rule an
administrator sets (the demo sets one for sales reps): a rule seeded here would surprise the
rule pages, as decision 0057 says of the lost reason."""

import datetime
from decimal import Decimal

from django.db import migrations

from kesher.org.grants import apply_grants

LISTS = {  # value, Hebrew, English
    "product_unit": [
        ("unit", "יחידה", "Unit"),
        ("hour", "שעה", "Hour"),
        ("day", "יום", "Day"),
        ("month", "חודש", "Month"),
        ("kg", "ק״ג", "Kilogram"),
        ("meter", "מטר", "Metre"),
        ("license", "רישיון", "Licence"),
        ("package", "חבילה", "Package"),
    ],
    "vat_category": [
        ("standard", "חייב במע״מ", "Standard rate"),
        ("zero", "מע״מ בשיעור אפס", "Zero rate"),
        ("exempt", "פטור ממע״מ", "Exempt"),
    ],
}

# VAT category, from, rate: 17% from 1 October 2015, 18% from 1 January 2025 (docs ISRAEL.md).
VAT_RATES = [
    ("standard", datetime.date(2015, 10, 1), Decimal("17.00")),
    ("standard", datetime.date(2025, 1, 1), Decimal("18.00")),
    ("zero", datetime.date(2000, 1, 1), Decimal("0.00")),
    ("exempt", datetime.date(2000, 1, 1), Decimal("0.00")),
]

CATALOGUE = ("product-groups", "products", "price-lists", "price-list-entries", "price-rules")
RATES = ("vat-rates", "exchange-rates", "discount-limits")

GRANTS = {  # role key: {entity: (view, add, change, delete, scope)}
    "manager": {
        **{e: (True, True, True, True, "all") for e in CATALOGUE},
        **{e: (True, False, False, False, "all") for e in RATES},
    },
    "sales_rep": {e: (True, False, False, False, "all") for e in CATALOGUE + RATES},
    "support_agent": {
        "product-groups": (True, False, False, False, "all"),
        "products": (True, False, False, False, "all"),
    },
    "read_only": {
        "product-groups": (True, False, False, False, "all"),
        "products": (True, False, False, False, "all"),
    },
}

# The largest manual discount without approval, by role (REQ SA-9).
DISCOUNT_LIMITS = {"sales_rep": Decimal("10"), "manager": Decimal("25"), "admin": Decimal("100")}


def create_defaults(apps, schema_editor):
    Choice = apps.get_model("platform", "Choice")
    for list_key, rows in LISTS.items():
        for order, (value, label_he, label_en) in enumerate(rows):
            Choice.objects.get_or_create(
                list_key=list_key,
                value=value,
                defaults={"label_he": label_he, "label_en": label_en, "order": order},
            )
    VatRate = apps.get_model("catalogue", "VatRate")
    for category, valid_from, rate in VAT_RATES:
        VatRate.objects.get_or_create(
            category=Choice.objects.get(list_key="vat_category", value=category),
            valid_from=valid_from,
            defaults={"rate": rate},
        )
    apply_grants(apps, GRANTS)
    Role = apps.get_model("org", "Role")
    DiscountLimit = apps.get_model("catalogue", "DiscountLimit")
    for key, percent in DISCOUNT_LIMITS.items():
        role = Role.objects.filter(key=key).first()
        if role is not None:
            DiscountLimit.objects.get_or_create(
                role=role, user=None, group=None, defaults={"max_percent": percent}
            )


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0001_initial"),
        ("org", "0002_default_roles"),
        ("platform", "0013_search_phone_once"),
    ]
    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]

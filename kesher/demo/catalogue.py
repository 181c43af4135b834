"""The demo's catalogue (issue 16): a Hebrew product tree of hardware, software, services and
equipment for rent; about twenty products with their costs; rental prices by day, week and
month; CRM modules sold as add-ons; a quantity break on peripherals; the default price list and
a VIP list for customers whose status is VIP; an exchange rate for quotes in dollars; and the
cost price hidden from sales reps by a field rule.

Everything goes through the catalogue's services with the administrator as the actor.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from kesher.catalogue.services import product_group_create
from kesher.org.models import User
from kesher.platform.models import Choice
from kesher.platform.records.services import record_create

__all__ = ["create_catalogue"]

GROUPS = [  # key, Hebrew, English, parent key
    ("hardware", "חומרה", "Hardware", None),
    ("computers", "מחשבים", "Computers", "hardware"),
    ("peripherals", "ציוד היקפי", "Peripherals", "hardware"),
    ("software", "תוכנה", "Software", None),
    ("licences", "רישוי", "Licences", "software"),
    ("modules", "מודולים", "Modules", "software"),
    ("services", "שירותים", "Services", None),
    ("rental", "השכרת ציוד", "Equipment rental", None),
]

# SKU, name, group, kind, unit, list price, cost, barcode
PRODUCTS = [
    ("LAP-14", "מחשב נייד 14 אינץ׳", "computers", "goods", "unit", "4200", "3100", "7290000100014"),
    (
        "LAP-16",
        "מחשב נייד 16 אינץ׳ לעבודה גרפית",
        "computers",
        "goods",
        "unit",
        "7900",
        "6100",
        "7290000100016",
    ),
    ("DSK-01", "מחשב שולחני משרדי", "computers", "goods", "unit", "3300", "2400", "7290000100101"),
    (
        "SRV-01",
        "שרת אחסון לעסק קטן",
        "computers",
        "goods",
        "unit",
        "12500",
        "9800",
        "7290000100201",
    ),
    ("MON-27", "מסך 27 אינץ׳", "peripherals", "goods", "unit", "1150", "780", "7290000200027"),
    (
        "KBD-HE",
        "מקלדת אלחוטית עברית-אנגלית",
        "peripherals",
        "goods",
        "unit",
        "189",
        "95",
        "7290000200101",
    ),
    ("MSE-01", "עכבר אלחוטי", "peripherals", "goods", "unit", "99", "45", "7290000200102"),
    (
        "PRN-LZ",
        "מדפסת לייזר משולבת",
        "peripherals",
        "goods",
        "unit",
        "1490",
        "1050",
        "7290000200201",
    ),
    (
        "HDS-01",
        "אוזניות למוקד שירות",
        "peripherals",
        "goods",
        "unit",
        "340",
        "190",
        "7290000200301",
    ),
    ("CRM-LIC", "רישיון קשר — משתמש לשנה", "licences", "service", "license", "1800", "300", None),
    ("CRM-SRV", "מודול שירות לקוחות", "modules", "service", "license", "600", "100", None),
    ("CRM-MKT", "מודול שיווק ודיוור", "modules", "service", "license", "750", "120", None),
    ("CRM-RPT", "מודול דוחות מתקדמים", "modules", "service", "license", "450", "80", None),
    ("SMS-10K", "חבילת 10,000 הודעות SMS", "licences", "service", "package", "950", "620", None),
    ("IMP-DAY", "יום הטמעה באתר הלקוח", "services", "service", "day", "3800", "2200", None),
    ("TRN-HR", "שעת הדרכה", "services", "service", "hour", "380", "180", None),
    ("SUP-YR", "חוזה תמיכה שנתי", "services", "service", "month", "650", "300", None),
    ("MIG-01", "הסבת נתונים ממערכת קודמת", "services", "service", "unit", "5500", "3000", None),
    ("PRJ-RNT", "מקרן להשכרה", "rental", "goods", "day", "0", "4200", "7290000300001"),
    ("LAP-RNT", "מחשב נייד להשכרה", "rental", "goods", "day", "0", "3100", "7290000300002"),
]

# SKU, period, from periods, price per period
RENTALS = [
    ("PRJ-RNT", "day", "1", "180"),
    ("PRJ-RNT", "week", "1", "750"),
    ("PRJ-RNT", "week", "4", "650"),
    ("PRJ-RNT", "month", "1", "2400"),
    ("LAP-RNT", "day", "1", "120"),
    ("LAP-RNT", "week", "1", "480"),
    ("LAP-RNT", "month", "1", "1500"),
]

ADDONS = [  # product SKU, add-on SKU, price (None: the add-on's own)
    ("CRM-LIC", "CRM-SRV", None),
    ("CRM-LIC", "CRM-MKT", None),
    ("CRM-LIC", "CRM-RPT", "390"),
]

# Default list prices that differ from the products' list prices, with quantity breaks.
DEFAULT_PRICES = [  # SKU, from quantity, price
    ("LAP-14", "1", "4200"),
    ("LAP-14", "5", "3990"),
    ("LAP-14", "20", "3850"),
    ("CRM-LIC", "1", "1800"),
    ("CRM-LIC", "10", "1650"),
    ("CRM-LIC", "50", "1500"),
]
VIP_PRICES = [
    ("LAP-14", "1", "3950"),
    ("LAP-16", "1", "7400"),
    ("SRV-01", "1", "11800"),
    ("CRM-LIC", "1", "1590"),
    ("IMP-DAY", "1", "3400"),
]


def _choice(list_key: str, value: str) -> Choice:
    return Choice.objects.get(list_key=list_key, value=value)


def create_catalogue(users: dict[str, User]) -> None:
    """The product tree, the products, their rules and the two price lists."""
    admin = users["admin"]
    groups = {}
    for key, name_he, name_en, parent in GROUPS:
        groups[key] = product_group_create(
            actor=admin,
            data={"name_he": name_he, "name_en": name_en, "parent": groups.get(parent)},
        )
    products = {}
    for sku, name, group, kind, unit, price, cost, barcode in PRODUCTS:
        products[sku] = record_create(
            "products",
            actor=admin,
            data={
                "name": name,
                "sku": sku,
                "barcode": barcode,
                "group": groups[group],
                "kind": kind,
                "unit": _choice("product_unit", unit),
                "vat_category": _choice("vat_category", "standard"),
                "list_price": Decimal(price),
                "cost_price": Decimal(cost),
            },
        )
    names = {"day": "יום", "week": "שבוע", "month": "חודש"}
    for sku, period, from_periods, price in RENTALS:
        suffix = f" (מ-{from_periods})" if from_periods != "1" else ""
        record_create(
            "price-rules",
            actor=admin,
            data={
                "name": f"{products[sku].name} — {names[period]}{suffix}",
                "kind": "period",
                "product": products[sku],
                "period": period,
                "min_quantity": Decimal(from_periods),
                "price": Decimal(price),
            },
        )
    for sku, addon, price in ADDONS:
        record_create(
            "price-rules",
            actor=admin,
            data={
                "name": products[addon].name,
                "kind": "addon",
                "product": products[sku],
                "addon": products[addon],
                "price": Decimal(price) if price else None,
            },
        )
    record_create(
        "price-rules",
        actor=admin,
        data={
            "name": "ציוד היקפי — 10% מ-10 יחידות",
            "kind": "quantity",
            "group": groups["peripherals"],
            "min_quantity": Decimal(10),
            "discount_percent": Decimal(10),
        },
    )
    # From the start of last year: the demo's documents go months back, across New Year in January.
    since = datetime.date(timezone.localdate().year - 1, 1, 1)
    default = record_create(
        "price-lists",
        actor=admin,
        data={"name": "מחירון כללי", "is_default": True, "valid_from": since},
    )
    vip = record_create(
        "price-lists",
        actor=admin,
        data={
            "name": "מחירון לקוחות VIP",
            "segment": _choice("account_status", "vip"),
            "valid_from": since,
        },
    )
    for price_list, rows in ((default, DEFAULT_PRICES), (vip, VIP_PRICES)):
        for sku, from_quantity, price in rows:
            record_create(
                "price-list-entries",
                actor=admin,
                data={
                    "price_list": price_list,
                    "product": products[sku],
                    "min_quantity": Decimal(from_quantity),
                    "price": Decimal(price),
                },
            )
    # The cost price is not for sales reps' eyes (REQ CX-9): a field rule, as an administrator
    # sets it on the field rules page.
    record_create(
        "field-rules",
        actor=admin,
        data={"entity": "products", "field": "cost_price", "hidden_roles": ["sales_rep"]},
    )
    record_create(
        "exchange-rates",
        actor=admin,
        data={
            "currency": "USD",
            "valid_from": since,
            "rate": Decimal("3.65"),
            "notes": "שער יציג לדוגמה",
        },
    )

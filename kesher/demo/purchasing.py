"""The demo's purchasing (issue 17 items 1, 4, 5; decision 0087): three suppliers — computers,
the office's landlord and a software house abroad; a purchase order of mice and keyboards sent,
received into the main warehouse, its supplier's invoice recorded and half paid; a draft order
still being written; six months of rent and a dollar subscription recorded as expenses and
paid, the last month's rent still open — so the expenses and cash-out reports have months to
show and the landlord's page shows what we owe him. Everything goes through the services, as
the office manager would."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from kesher.billing.models import PaymentTerms
from kesher.catalogue.models import Product
from kesher.customers.services import account_create
from kesher.org.models import User
from kesher.platform.models import Choice
from kesher.purchasing.services import (
    LineInput,
    lines_set,
    purchase_order_create,
    purchase_order_order,
    purchase_order_receive,
    supplier_invoice_create,
    supplier_invoice_from_order,
    supplier_invoice_record,
    supplier_payment_create,
)
from kesher.stock.models import Warehouse

__all__ = ["create_purchasing"]

SUPPLIERS = [  # key, name, company number, city
    ("computers", "מחשבים ישירים בע״מ", "514711001", "ראש העין"),
    ("landlord", "נכסי השרון בע״מ", "516221009", "פתח תקווה"),
    ("software", "CloudDesk Inc.", "", "Dublin"),
]


def _month_start(day: datetime.date, back: int) -> datetime.date:
    month = day.month - back
    year = day.year + (month - 1) // 12
    return datetime.date(year, (month - 1) % 12 + 1, 1)


def create_purchasing(users: dict[str, User], *, buyer: str) -> None:
    actor = users[buyer]
    today = timezone.localdate()
    suppliers = {
        key: account_create(
            actor=actor,
            data={
                "name": name,
                "kind": "organization",
                "company_number": number,
                "city": city,
                "owner": actor,
            },
        )
        for key, name, number, city in SUPPLIERS
    }
    terms = PaymentTerms.objects.filter(name="שוטף + 30").first()
    category = {c.value: c for c in Choice.objects.filter(list_key="expense_category")}
    main = Warehouse.objects.filter(is_default=True).first()
    goods = {p.sku: p for p in Product.objects.filter(kind=Product.Kind.GOODS, active=True)}
    ordered = [p for sku, p in sorted(goods.items()) if sku in ("MSE-01", "KBD-HE")] or list(
        goods.values()
    )[:2]

    # Goods: ordered, received into the main warehouse, invoiced by the supplier, half paid.
    order = purchase_order_create(
        actor=actor,
        data={
            "name": "ציוד היקפי לרבעון",
            "supplier": suppliers["computers"],
            "warehouse": main,
            "doc_date": today - datetime.timedelta(days=12),
            "expected_on": today - datetime.timedelta(days=5),
        },
    )
    lines = [
        LineInput(product=p, quantity="10", unit_price=str(p.cost_price or Decimal("25")))
        for p in ordered
    ]
    order = lines_set(order, actor=actor, lines=lines)
    order = purchase_order_order(order, actor=actor)
    if main is not None:
        order = purchase_order_receive(order, actor=actor, warehouse=main)
    invoice = supplier_invoice_from_order(
        order,
        actor=actor,
        supplier_number="40117",
        doc_date=today - datetime.timedelta(days=4),
        payment_terms=terms,
        expense_category=category.get("goods"),
    )
    invoice = supplier_invoice_record(invoice, actor=actor)
    supplier_payment_create(
        actor=actor,
        data={
            "invoice": invoice,
            "means": "transfer",
            "amount": (invoice.total / 2).quantize(Decimal("0.01")),
            "reference": "העברה 88213",
            "paid_on": today,
        },
    )

    # A draft still being written.
    draft = purchase_order_create(
        actor=actor,
        data={
            "name": "מחשבים לעובדים חדשים",
            "supplier": suppliers["computers"],
            "warehouse": main,
        },
    )
    if ordered:
        lines_set(
            draft, actor=actor, lines=[LineInput(product=ordered[0], quantity="4", unit_price="30")]
        )

    # Six months of rent (by cheque) and of a dollar subscription (by transfer): expenses and
    # money out by month; this month's rent is still owed.
    for back in range(5, -1, -1):
        day = _month_start(today, back)
        rent = _expense(
            actor,
            suppliers["landlord"],
            f"{day:%Y%m}-07",
            day,
            "שכירות משרדים",
            Decimal("8500"),
            category.get("rent"),
        )
        if back:
            supplier_payment_create(
                actor=actor,
                data={
                    "invoice": rent,
                    "means": "cheque",
                    "amount": rent.total,
                    "paid_on": day,
                    "bank": "12",
                    "branch": "600",
                    "bank_account": "458721",
                    "cheque_number": f"{200100 + back}",
                },
            )
        subscription = _expense(
            actor,
            suppliers["software"],
            f"CD-{day:%y%m}",
            day,
            "מנוי תוכנת שירות לקוחות",
            Decimal("120"),
            category.get("communications"),
            currency="USD",
            exchange_rate=Decimal("3.65"),
            vat_rate="0",
        )
        supplier_payment_create(
            actor=actor,
            data={
                "invoice": subscription,
                "means": "transfer",
                "amount": subscription.total,
                "paid_on": day,
                "reference": f"SWIFT {day:%Y%m}",
            },
        )


def _expense(actor, supplier, number, day, text, price, category, vat_rate=None, **data):
    invoice = supplier_invoice_create(
        actor=actor,
        data={
            "supplier": supplier,
            "supplier_number": number,
            "doc_date": day,
            "expense_category": category,
            **data,
        },
    )
    invoice = lines_set(
        invoice,
        actor=actor,
        lines=[LineInput(name=text, quantity="1", unit_price=str(price), vat_rate=vat_rate)],
    )
    return supplier_invoice_record(invoice, actor=actor)

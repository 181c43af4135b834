"""Catalogue records for tests, made through the services (audit entries, search tokens)."""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal

from kesher.catalogue.services import product_group_create
from kesher.platform.models import Choice
from kesher.platform.records.services import record_create

_serial = itertools.count(1)


def choice(list_key: str, value: str) -> Choice:
    return Choice.objects.get(list_key=list_key, value=value)


def make_group(actor, name="קבוצה", parent=None):
    return product_group_create(actor=actor, data={"name_he": name, "parent": parent})


def make_product(actor, *, name=None, price="100.00", group=None, vat="standard", **extra):
    serial = next(_serial)
    data = {
        "name": name or f"מוצר {serial}",
        "sku": extra.pop("sku", f"SKU-{serial}"),
        "group": group,
        "vat_category": choice("vat_category", vat),
        "unit": choice("product_unit", "unit"),
        "list_price": Decimal(price),
        **extra,
    }
    return record_create("products", actor=actor, data=data)


def make_list(actor, name="מחירון", **data):
    return record_create("price-lists", actor=actor, data={"name": name, **data})


def make_entry(actor, price_list, product, price, min_quantity="1"):
    return record_create(
        "price-list-entries",
        actor=actor,
        data={
            "price_list": price_list,
            "product": product,
            "price": Decimal(price),
            "min_quantity": Decimal(min_quantity),
        },
    )


def make_rule(actor, **data):
    return record_create("price-rules", actor=actor, data={"name": data.pop("name", "כלל"), **data})


def make_rate(actor, currency, rate, valid_from=datetime.date(2020, 1, 1)):
    return record_create(
        "exchange-rates",
        actor=actor,
        data={"currency": currency, "rate": Decimal(rate), "valid_from": valid_from},
    )

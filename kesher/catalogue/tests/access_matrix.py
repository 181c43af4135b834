"""How the access matrix and the contract tests make catalogue records
(kesher/platform/testing/matrix.py), and the answers the pricing API must give."""

import datetime
from decimal import Decimal

from kesher.catalogue.services import product_group_create
from kesher.org.models import Role
from kesher.platform.models import Choice
from kesher.platform.records.services import record_create
from kesher.platform.testing.matrix import (
    SEARCH_WORD,
    Verb,
    not_allowed,
    permitted,
    register_records,
    register_route,
)


def _choice(list_key, value):
    return Choice.objects.get(list_key=list_key, value=value)


def _product_values(world, marker, record):
    return {
        "name": marker,
        "sku": record.sku if record else f"SKU-{world.marker()}"[:60].replace(" ", "-"),
        "vat_category": _choice("vat_category", "standard").pk,
        "list_price": "100.00",
    }


register_records(
    "product-groups",
    make=lambda world, side: product_group_create(
        actor=world.users["admin"], data={"name_he": f"{SEARCH_WORD} group {side}"}
    ),
    values=lambda world, marker, record: {"name_he": marker},
    marker_field="name_he",
)

register_records(
    "products",
    make=lambda world, side: record_create(
        "products",
        actor=world.users["admin"],
        data={
            "name": f"{SEARCH_WORD} product {side}",
            "sku": f"MATRIX-{side}",
            "vat_category": _choice("vat_category", "standard"),
            "list_price": Decimal("100.00"),
            "cost_price": Decimal("60.00"),
        },
    ),
    values=_product_values,
    marker_field="name",
)


def _number(world) -> int:
    return int(world.marker().removeprefix("mx").removesuffix("q"))


def _entry_values(world, marker, record):
    if record is not None:
        return {
            "price_list": record.price_list_id,
            "product": record.product_id,
            "min_quantity": str(record.min_quantity),
            "price": "80.00",
            "notes": marker,
        }
    return {
        "price_list": world.record("price-lists", "rep1").pk,
        "product": world.record("products", "rep1").pk,
        "min_quantity": str(_number(world) + 1),
        "price": "80.00",
        "notes": marker,
    }


register_records(
    "price-list-entries",
    make=lambda world, side: record_create(
        "price-list-entries",
        actor=world.users["admin"],
        data={
            "price_list": world.record("price-lists", side),
            "product": world.record("products", side),
            "price": Decimal("90.00"),
            "notes": f"{SEARCH_WORD} entry {side}",
        },
    ),
    values=_entry_values,
    marker_field="notes",
)

register_records(
    "price-rules",
    make=lambda world, side: record_create(
        "price-rules",
        actor=world.users["admin"],
        data={
            "name": f"{SEARCH_WORD} rule {side}",
            "kind": "quantity",
            "product": world.record("products", side),
            "min_quantity": Decimal("10"),
            "discount_percent": Decimal("5"),
        },
    ),
    values=lambda world, marker, record: {
        "name": marker,
        "kind": "quantity",
        "product": record.product_id if record else world.record("products", "rep1").pk,
        "min_quantity": "20",
        "discount_percent": "7.50",
    },
    marker_field="name",
)


def _day(world):
    return datetime.date(2030, 1, 1) + datetime.timedelta(days=_number(world))


register_records(
    "vat-rates",
    make=lambda world, side: record_create(
        "vat-rates",
        actor=world.users["admin"],
        data={
            "category": _choice("vat_category", "zero"),
            "valid_from": _day(world),
            "rate": Decimal("0"),
            "notes": f"{SEARCH_WORD} vat {side}",
        },
    ),
    values=lambda world, marker, record: {
        "category": _choice("vat_category", "zero").pk,
        "valid_from": str(record.valid_from if record else _day(world)),
        "rate": "0.00",
        "notes": marker,
    },
    marker_field="notes",
)

register_records(
    "exchange-rates",
    make=lambda world, side: record_create(
        "exchange-rates",
        actor=world.users["admin"],
        data={
            "currency": "EUR",
            "valid_from": _day(world),
            "rate": Decimal("3.9"),
            "notes": f"{SEARCH_WORD} rate {side}",
        },
    ),
    values=lambda world, marker, record: {
        "currency": "EUR",
        "valid_from": str(record.valid_from if record else _day(world)),
        "rate": "3.950000",
        "notes": marker,
    },
    marker_field="notes",
)

register_records(
    "discount-limits",
    make=lambda world, side: record_create(
        "discount-limits",
        actor=world.users["admin"],
        data={
            "role": Role.objects.get(key="support_agent"),
            "max_percent": Decimal("5"),
            "notes": f"{SEARCH_WORD} limit {side}",
        },
    ),
    values=lambda world, marker, record: {
        "role": Role.objects.get(key="support_agent").pk,
        "max_percent": "7.00",
        "notes": marker,
    },
    marker_field="notes",
)

register_route(
    "api",
    "/api/v1/pricing/quote/",
    Verb(
        "POST",
        permitted("products", "view"),
        data=lambda world, marker: {
            "lines": [{"product": world.record("products", "rep1").pk, "quantity": "1"}]
        },
    ),
    *(Verb(m, not_allowed()) for m in ("GET", "PUT", "PATCH", "DELETE")),
    api=True,
)

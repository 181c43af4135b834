"""How the access matrix makes warehouses (kesher/platform/testing/matrix.py) and the routes of
stock's own pages and API. Each sales rep is the technician of his own van, so the ``own``
scope (a support agent's) narrows by it; a serial number is received into another van of rep1. The
writes are sent in ways the services refuse (empty forms), so whoever passes the gate gets the
refusal with nothing written; the services' own tests write (kesher/stock/tests)."""

from decimal import Decimal

from kesher.catalogue.tests.factories import make_product
from kesher.platform.records.services import record_create
from kesher.platform.testing.matrix import (
    SEARCH_WORD,
    Outcome,
    Verb,
    never_allowed,
    not_allowed,
    owner_of,
    permitted,
    register_records,
    register_route,
    register_setup,
)
from kesher.stock.models import MoveKind
from kesher.stock.services import move_create, product_stock_set

register_records(
    "warehouses",
    make=lambda world, side: record_create(
        "warehouses",
        actor=owner_of(world, side),
        data={
            "name": f"{SEARCH_WORD} van {side}",
            "kind": "van",
            "technician": owner_of(world, side),
            "notes": f"{SEARCH_WORD} van {side}",
        },
    ),
    values=lambda world, marker, record: {
        "name": record.name if record else f"{marker} warehouse",
        "kind": "warehouse",
        "notes": marker,
    },
    marker_field="notes",
)


@register_setup
def _serial(world):
    admin = world.users["admin"]
    # A van of rep1's of its own: the matrix deletes the side's warehouse, and one with moves
    # cannot be deleted (the ledger keeps it).
    van = record_create(
        "warehouses",
        actor=admin,
        data={
            "name": f"{SEARCH_WORD} serial van",
            "kind": "van",
            "technician": owner_of(world, "rep1"),
        },
    )
    product = make_product(admin, name=f"{SEARCH_WORD} filter", sku="MX-STOCK-1")
    product_stock_set(product, actor=admin, serial_tracked=True)
    move = move_create(
        actor=admin,
        kind=MoveKind.RECEIPT,
        product=product,
        quantity=Decimal("1"),
        to_warehouse=van,
        serials=["MX-SN-1"],
    )
    world["serial van"] = van
    world["stock product"] = product
    world["serial rep1"] = move.serials.get()


def _receipt(world, side):
    """A receipt of two of a product into a new van of the side's own: the van's stock level
    and the move are records of the stock levels and moves (decision 0103), apart from the
    side's warehouse, which the matrix deletes."""
    admin = world.users["admin"]
    marker = world.marker()
    van = record_create(
        "warehouses",
        actor=admin,
        data={
            "name": f"{SEARCH_WORD} stocked van {side} {marker}",
            "kind": "van",
            "technician": owner_of(world, side),
        },
    )
    product = make_product(admin, name=f"{SEARCH_WORD} part {side}", sku=f"MX-{marker}")
    return move_create(
        actor=admin,
        kind=MoveKind.RECEIPT,
        product=product,
        quantity=Decimal("2"),
        to_warehouse=van,
        reference=f"{SEARCH_WORD} receipt {side}",
    )


# Nobody writes a level or a move through the generic routes (decision 0103); ``values`` is
# what a refused write would send.
register_records(
    "stock-on-hand",
    make=lambda world, side: _receipt(world, side).to_warehouse.levels.get(),
    values=lambda world, marker, record: {"quantity": "1", "minimum": marker},
    marker_field="minimum",
)
register_records(
    "stock-ledger",
    make=_receipt,
    values=lambda world, marker, record: {"kind": "adjustment", "reason": marker},
    marker_field="reason",
)


def _then(gate, outcome):
    """``gate``'s answer; past it, ``outcome``."""

    def expect(world, principal):
        answer = gate(world, principal)
        return outcome if answer is Outcome.ALLOW else answer

    return expect


_view = permitted("warehouses", "view")
_change = permitted("warehouses", "change")
_POST_ONLY = tuple(Verb(m, never_allowed) for m in ("GET", "PUT", "PATCH", "DELETE"))
_GET_ONLY = tuple(Verb(m, never_allowed) for m in ("POST", "PUT", "PATCH", "DELETE"))

register_route("stock", "/stock/", Verb("GET", _view), *_GET_ONLY, what="stock levels report")
register_route(
    "stock",
    "/stock/move/",
    Verb("GET", _view),
    Verb("POST", _view),  # an empty form: its errors shown, nothing written
    *(Verb(m, never_allowed) for m in ("PUT", "PATCH", "DELETE")),
    what="record a stock move",
)
register_route(
    "stock", "/stock/minimum/", Verb("POST", _change), *_POST_ONLY, what="an empty minimum"
)
register_route("stock", "/stock/serials/", Verb("GET", _view), *_GET_ONLY, what="serial numbers")
register_route(
    "stock",
    lambda world: f"/stock/serials/{world['serial rep1'].pk}/",
    Verb("GET", permitted("warehouses", "view", lambda world: world["serial van"])),
    *_GET_ONLY,
    what="a serial number in rep1's van, with its history",
)
register_route(
    "stock",
    lambda world: f"/stock/products/{world['stock product'].pk}/",
    Verb("POST", permitted("products", "change")),
    *_POST_ONLY,
    what="a product's serial tracking: not switched off while one of its serials is in stock",
)

for _side in ("rep1", "rep2"):

    def _ticket(world, side=_side):
        return world.record("tickets", side)

    def _document(world, side=_side):
        return world.record("tax-documents", side)

    register_route(
        "stock",
        lambda world, side=_side: f"/stock/tickets/{world.record('tickets', side).pk}/parts/",
        Verb("POST", permitted("tickets", "change", _ticket)),
        *_POST_ONLY,
        what=f"{_side}'s ticket: an empty part declined",
    )
    register_route(
        "stock",
        lambda world, side=_side: f"/stock/documents/{world.record('tax-documents', side).pk}/",
        Verb("POST", permitted("tax-documents", "change", _document)),
        *_POST_ONLY,
        what=f"{_side}'s tax document: no warehouse declined",
    )

register_route(
    "stock-api",
    "/api/v1/stock-levels/",
    Verb("GET", _view),
    api=True,
    what="stock levels",
)
register_route(
    "stock-api",
    "/api/v1/stock-levels/minimum/",
    Verb("PUT", _then(_change, Outcome.REFUSED)),
    *(Verb(m, not_allowed()) for m in ("GET", "POST", "DELETE")),
    api=True,
    what="an empty minimum refused",
)
register_route(
    "stock-api",
    "/api/v1/stock-moves/",
    Verb("GET", _view),
    Verb("POST", _then(_view, Outcome.REFUSED)),
    api=True,
    what="the stock ledger; an empty move refused",
)
register_route("stock-api", "/api/v1/serials/", Verb("GET", _view), api=True, what="serial numbers")
register_route(
    "stock-api",
    lambda world: f"/api/v1/serials/{world['serial rep1'].pk}/",
    Verb("GET", permitted("warehouses", "view", lambda world: world["serial van"])),
    api=True,
    what="a serial number in rep1's van, with its history",
)
register_route(
    "stock-api",
    lambda world: f"/api/v1/products/{world['stock product'].pk}/stock/",
    Verb("GET", permitted("products", "view")),
    Verb("PUT", _then(permitted("products", "change"), Outcome.REFUSED)),
    api=True,
    what="a product's stock settings; an empty body refused",
)

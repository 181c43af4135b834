"""Every read of stock, scoped by the warehouses the reader may see (``visible_to``): levels,
the stock levels report, moves, serial numbers and their history, a ticket's parts (REQ SA-11,
SV-12, RE-3; decision 0083)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet

from kesher.catalogue.models import Product
from kesher.platform.access import can
from kesher.stock.models import Serial, StockLevel, StockMove, Warehouse

__all__ = [
    "LevelFilters",
    "default_van",
    "level_list",
    "movable_warehouses",
    "move_list",
    "serial_get",
    "serial_history",
    "serial_list",
    "shown_moves",
    "stocked_products",
    "ticket_parts",
    "visible_warehouses",
]


def visible_warehouses(user) -> QuerySet:
    return Warehouse.objects.visible_to(user)


def movable_warehouses(user) -> QuerySet:
    """The active warehouses the user may move stock in: in scope, with the right to change
    warehouses — or his own van."""
    visible = visible_warehouses(user).filter(active=True)
    if can(user, "warehouses", "change"):
        return visible
    return visible.filter(technician=user)


def default_van(user, among=None) -> Warehouse | None:
    """The user's own van (the first active one), the default source of parts on a ticket."""
    vans = among if among is not None else movable_warehouses(user)
    return next((w for w in vans if w.technician_id == user.pk), None)


@dataclass(frozen=True)
class LevelFilters:
    warehouse: int | None = None
    group: int | None = None
    product: int | None = None
    low: bool = False


def level_list(user, filters: LevelFilters = LevelFilters()) -> QuerySet:
    """Levels in the warehouses the user sees (REQ RE-3), by warehouse and product, with the
    low ones (below their minimum) flagged in ``is_low``."""
    levels = StockLevel.objects.filter(warehouse__in=visible_warehouses(user)).select_related(
        "warehouse", "product", "product__group"
    )
    if filters.warehouse:
        levels = levels.filter(warehouse_id=filters.warehouse)
    if filters.group:
        levels = levels.filter(product__group_id=filters.group)
    if filters.product:
        levels = levels.filter(product_id=filters.product)
    if filters.low:
        levels = levels.filter(below_minimum=True)
    return levels.order_by("warehouse__name", "product__group__path", "product__name", "pk")


def move_list(user) -> QuerySet:
    """Moves into or out of a warehouse the user sees."""
    visible = visible_warehouses(user)
    return (
        StockMove.objects.filter(Q(from_warehouse__in=visible) | Q(to_warehouse__in=visible))
        .select_related("product", "from_warehouse", "to_warehouse", "actor", "document", "ticket")
        .prefetch_related("serials")
        .order_by("-created_at", "-pk")
    )


def _seen_serials(user) -> QuerySet:
    """Serials that are, or were, in a warehouse the user sees."""
    visible = visible_warehouses(user)
    touched = StockMove.objects.filter(serials=OuterRef("pk")).filter(
        Q(from_warehouse__in=visible) | Q(to_warehouse__in=visible)
    )
    return Serial.objects.filter(Q(warehouse__in=visible) | Exists(touched))


def serial_list(user, *, number: str = "", product: int | None = None) -> QuerySet:
    serials = _seen_serials(user).select_related("product", "warehouse")
    if number:
        serials = serials.filter(number__icontains=number[:80])
    if product:
        serials = serials.filter(product_id=product)
    return serials.order_by("product__name", "number", "pk")


def serial_get(user, pk: int) -> Serial | None:
    return _seen_serials(user).select_related("product", "warehouse").filter(pk=pk).first()


def serial_history(serial: Serial) -> QuerySet:
    """The serial's moves from its receipt on (REQ SA-11: serial numbers from receipt to
    customer), oldest first."""
    return (
        StockMove.objects.filter(serials=serial)
        .select_related("from_warehouse", "to_warehouse", "actor", "document", "ticket")
        .order_by("created_at", "pk")
    )


def ticket_parts(ticket) -> QuerySet:
    """The parts used on a ticket (REQ SV-12)."""
    return (
        StockMove.objects.filter(ticket=ticket)
        .select_related("product", "from_warehouse", "actor")
        .prefetch_related("serials")
        .order_by("created_at", "pk")
    )


def stocked_products(warehouses) -> QuerySet:
    """Goods held (above zero) in any of ``warehouses``: what a part may be taken from."""
    held = StockLevel.objects.filter(
        warehouse__in=warehouses, product=OuterRef("pk"), quantity__gt=0
    )
    return Product.objects.filter(Exists(held), kind=Product.Kind.GOODS, active=True).order_by(
        "name", "pk"
    )


@dataclass(frozen=True)
class ShownMove:
    move: StockMove
    document: object | None  # the document, when the reader may see it
    ticket: object | None  # the ticket, when the reader may see it
    source: Warehouse | None  # the warehouse it left, when the reader may see it
    target: Warehouse | None  # the warehouse it entered, when the reader may see it


def shown_moves(user, moves: list[StockMove]) -> list[ShownMove]:
    """``moves`` with the warehouses, documents and tickets they name — only those the reader
    may see: no name of a record out of his scope is shown (three queries at most)."""
    from kesher.billing.models import TaxDocument
    from kesher.service.models import Ticket

    documents = {m.document_id for m in moves if m.document_id}
    tickets = {m.ticket_id for m in moves if m.ticket_id}
    seen_documents = (
        set(
            TaxDocument.objects.visible_to(user)
            .filter(pk__in=documents)
            .values_list("pk", flat=True)
        )
        if documents and can(user, "tax-documents", "view")
        else set()
    )
    seen_tickets = (
        set(Ticket.objects.visible_to(user).filter(pk__in=tickets).values_list("pk", flat=True))
        if tickets and can(user, "tickets", "view")
        else set()
    )
    seen_warehouses = set(visible_warehouses(user).values_list("pk", flat=True))
    return [
        ShownMove(
            move=m,
            document=m.document if m.document_id in seen_documents else None,
            ticket=m.ticket if m.ticket_id in seen_tickets else None,
            source=m.from_warehouse if m.from_warehouse_id in seen_warehouses else None,
            target=m.to_warehouse if m.to_warehouse_id in seen_warehouses else None,
        )
        for m in moves
    ]

"""What stock's panels on other apps' pages read: a ticket's parts, a delivery or credit
note's warehouse, a product's stock, a warehouse's levels — each for the reader, within the
warehouses he may see, in a fixed number of queries."""

from __future__ import annotations

from django import template
from django.db.models import Q

from kesher.catalogue.models import Product
from kesher.platform.access import can
from kesher.stock import selectors
from kesher.stock.models import StockMove, StockProduct, WarehouseChoice

register = template.Library()


def _user(context):
    return context["request"].user


@register.simple_tag(takes_context=True)
def ticket_stock(context, ticket):
    """The parts used on the ticket and, for whoever may change it and holds stock, the form
    that records one (from his van by default)."""
    user = _user(context)
    if not can(user, "warehouses", "view"):
        return None
    visible = set(selectors.visible_warehouses(user).values_list("pk", flat=True))
    parts = list(selectors.ticket_parts(ticket))
    form = None
    if can(user, "tickets", "change"):
        movable = list(selectors.movable_warehouses(user).order_by("name", "pk"))
        if movable:
            van = selectors.default_van(user, movable)
            form = {
                "warehouses": movable,
                "default": van.pk if van else movable[0].pk,
                "products": list(selectors.stocked_products(movable)[:500]),
            }
    return {"parts": parts, "visible": visible, "form": form}


@register.simple_tag(takes_context=True)
def document_stock(context, document):
    """A delivery note's or credit note's warehouse: chosen while a draft, its moves once
    issued."""
    from kesher.billing.models import DocumentKind

    user = _user(context)
    if document.kind not in (DocumentKind.DELIVERY_NOTE, DocumentKind.CREDIT_NOTE):
        return None
    if not can(user, "warehouses", "view"):
        return None
    visible = set(selectors.visible_warehouses(user).values_list("pk", flat=True))
    if not document.is_draft:
        moves = list(
            StockMove.objects.filter(document=document)
            .select_related("product", "from_warehouse", "to_warehouse")
            .prefetch_related("serials")
            .order_by("pk")
        )
        return {"moves": moves, "visible": visible, "draft": False}
    choice = WarehouseChoice.objects.filter(document=document).first()
    tracked = set(
        StockProduct.objects.filter(serial_tracked=True).values_list("product_id", flat=True)
    )
    lines = [
        line
        for line in document.lines.select_related("product").order_by("position")
        if line.product_id in tracked
    ]
    serials = choice.serials if choice else {}
    return {
        "draft": True,
        "may_change": can(user, "tax-documents", "change"),
        "warehouses": list(selectors.visible_warehouses(user).filter(active=True)),
        "chosen": choice.warehouse_id if choice else None,
        "lines": [(line, "\n".join(serials.get(str(line.position), []))) for line in lines],
        "returns": document.kind == DocumentKind.CREDIT_NOTE,
    }


@register.simple_tag(takes_context=True)
def product_stock(context, product):
    """A product's levels in the warehouses the reader sees, and its serial tracking."""
    user = _user(context)
    if product.kind != Product.Kind.GOODS or not can(user, "warehouses", "view"):
        return None
    row = StockProduct.objects.filter(product=product).first()
    levels = list(selectors.level_list(user, selectors.LevelFilters(product=product.pk)))
    return {
        "levels": levels,
        "tracked": bool(row and row.serial_tracked),
        "may_change": can(user, "products", "change"),
    }


@register.simple_tag(takes_context=True)
def warehouse_stock(context, warehouse):
    """A warehouse's levels (the low marked) and its latest moves."""
    user = _user(context)
    levels = list(selectors.level_list(user, selectors.LevelFilters(warehouse=warehouse.pk)))
    moves = list(
        selectors.move_list(user).filter(Q(from_warehouse=warehouse) | Q(to_warehouse=warehouse))[
            :20
        ]
    )
    return {"levels": levels, "moves": selectors.shown_moves(user, moves)}

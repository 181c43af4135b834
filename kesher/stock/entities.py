"""Warehouses in the platform registry: list, detail, forms, API, search, import, export and
the access matrix come from this registration; a van's technician is its owner for the
``own`` scope, so a technician sees his van (REQ SA-11; decision 0083)."""

from django.utils.translation import gettext_lazy as _

from kesher.platform.registry import Entity, Section, register
from kesher.stock.models import StockLevel, StockMove, Warehouse

__all__ = ["stock_levels", "stock_moves", "warehouses"]

warehouses = register(
    Entity(
        key="warehouses",
        model=Warehouse,
        label=_("warehouse"),
        label_plural=_("Warehouses"),
        icon="🏬",
        nav_order=75,
        list_columns=("name", "kind", "technician", "active", "is_default"),
        form_fields=(
            "name",
            "kind",
            "technician",
            "active",
            "is_default",
            "allow_negative",
            "notes",
        ),
        sections=(
            Section(
                _("Warehouse"),
                ("name", "kind", "technician", "active", "is_default", "allow_negative"),
            ),
            Section(_("Notes"), ("notes",)),
        ),
        headline_fields=("kind", "technician"),
        search_words=("name",),
        filter_fields=("kind", "technician", "active"),
        ordering_fields=("name", "created_at", "id"),
        default_ordering=("name", "id"),
        select_related=("technician",),
        owner_field="technician",
        owner_defaults_to_actor=False,
        natural_keys=("name",),
        api_example={"name": "ניידת — יוסי", "kind": "van", "technician": 7, "active": True},
    )
)

# The stock a warehouse holds and the ledger's moves, as parts of their warehouses (decision
# 0103): read with them — whoever sees a warehouse sees its levels and the moves in and out of
# it — for the report builder (stock on hand by warehouse and product, movements; REQ RE-3)
# and the API; written only by the stock services (a move, a minimum).
stock_levels = register(
    Entity(
        key="stock-on-hand",
        model=StockLevel,
        large=True,
        label=_("stock level"),
        label_plural=_("Stock levels"),
        icon="▤",
        nav_order=751,
        in_navigation=False,
        list_columns=("warehouse", "product", "quantity", "minimum", "below_minimum"),
        sections=(
            Section(
                _("Stock level"),
                ("warehouse", "product", "quantity", "minimum", "below_minimum", "updated_at"),
            ),
        ),
        headline_fields=("warehouse", "product", "quantity"),
        filter_fields=("warehouse", "product", "below_minimum"),
        ordering_fields=("quantity", "updated_at", "id"),
        default_ordering=("warehouse", "product"),
        select_related=("warehouse", "product"),
        title_related=(),
        owner_field=None,
        scope_via=("warehouse",),
        part_of="warehouses",
        importable=False,
        custom_fields=False,
    )
)

stock_moves = register(
    Entity(
        key="stock-ledger",
        model=StockMove,
        large=True,
        label=_("stock move"),
        label_plural=_("Stock moves"),
        icon="⇄",
        nav_order=752,
        in_navigation=False,
        list_columns=(
            "created_at",
            "kind",
            "product",
            "quantity",
            "from_warehouse",
            "to_warehouse",
            "reference",
        ),
        sections=(
            Section(
                _("Stock move"),
                (
                    "kind",
                    "product",
                    "quantity",
                    "from_warehouse",
                    "to_warehouse",
                    "created_at",
                    "actor",
                ),
            ),
            Section(_("Source"), ("reason", "reference", "document", "ticket")),
            Section(_("Cost"), ("unit_cost",)),
        ),
        headline_fields=("kind", "product", "quantity"),
        filter_fields=("kind", "product", "from_warehouse", "to_warehouse"),
        ordering_fields=("created_at", "quantity", "id"),
        default_ordering=("-created_at", "-id"),
        select_related=("product",),
        title_related=(),
        owner_field=None,
        # A move is seen by whoever sees either of its warehouses.
        scope_via=("from_warehouse", "to_warehouse"),
        part_of="warehouses",
        # A receipt's unit cost is the product's cost: hidden with it.
        hidden_with={"unit_cost": ("products", "cost_price")},
        importable=False,
        custom_fields=False,
    )
)

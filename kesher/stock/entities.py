"""Warehouses in the platform registry: list, detail, forms, API, search, import, export and
the access matrix come from this registration; a van's technician is its owner for the
``own`` scope, so a technician sees his van (REQ SA-11; decision 0083)."""

from django.utils.translation import gettext_lazy as _

from kesher.platform.registry import Entity, Section, register
from kesher.stock.models import Warehouse

__all__ = ["warehouses"]

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

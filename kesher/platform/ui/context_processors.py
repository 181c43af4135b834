"""Navigation for every page: the modules the user may open, from the registry.

The customers' lists are links of their own (what everyone opens all day); every other app's
lists sit in a menu under the app's name, with the pages the app adds (its AppConfig's
``menu_template``: dropdown items that check their own rights). Twenty entities as links side
by side did not fit a desktop's width, let alone a phone's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from django.apps import apps
from django.utils.functional import SimpleLazyObject

from kesher.platform.access import can
from kesher.platform.registry import Entity, registry

# Apps whose lists are top-level links rather than a menu.
TOP_LEVEL_APPS = ("customers",)


@dataclass
class NavMenu:
    key: str
    label: str
    entities: list[Entity] = field(default_factory=list)
    template: str | None = None

    @property
    def keys(self) -> set[str]:
        return {e.key for e in self.entities}


def navigation(request):
    """The navigation's three lists, worked out only when a template reads them: the fragments
    htmx asks for (pickers, rows, panels) render without the page around them."""
    built = cache(lambda: _navigation(request))
    return {
        name: SimpleLazyObject(lambda name=name: built()[name])
        for name in ("nav_entities", "nav_menus", "admin_entities")
    }


def _navigation(request) -> dict[str, list]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_entities": [], "nav_menus": [], "admin_entities": []}
    visible = [e for e in registry.all() if e.in_navigation and can(user, e.key, "view")]
    top: list[Entity] = []
    menus: dict[str, NavMenu] = {}
    for config in apps.get_app_configs():
        # An app with pages of its own (the activities' tasks and calendar) has its menu even
        # when its lists are not the user's to open.
        if getattr(config, "menu_always", False):
            menus[config.label] = _menu(config)
    for entity in visible:
        if entity.nav_order >= 900:
            continue
        config = entity.model._meta.app_config
        if config.label in TOP_LEVEL_APPS:
            top.append(entity)
            continue
        if config.label not in menus:
            menus[config.label] = _menu(config)
        menus[config.label].entities.append(entity)
    # In the order of their first lists; a menu of pages alone after those.
    ordered = sorted(
        menus.values(), key=lambda m: min((e.nav_order for e in m.entities), default=899)
    )
    return {
        "nav_entities": top,
        "nav_menus": ordered,
        "admin_entities": [e for e in visible if e.nav_order >= 900],
    }


def _menu(config) -> NavMenu:
    return NavMenu(
        key=config.label,
        label=str(config.verbose_name),
        template=getattr(config, "menu_template", None),
    )

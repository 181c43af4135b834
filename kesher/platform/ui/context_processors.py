"""Navigation for every page: the modules the user may open, from the registry.

The customers' lists are links of their own (what everyone opens all day); every other app's
lists sit in a menu under the app's name, with the pages the app adds (its AppConfig's
``menu_template``: dropdown items that check their own rights). Twenty entities as links side
by side did not fit a desktop's width, let alone a phone's.

The menus are the same for every user of a role, so ``main_menus`` renders them once per
role, language and open list, and keeps the HTML until the roles or the registry change: the
menus were most of what a small page cost (~70 links reversed, ~90 texts translated, a grant
checked per entity). What differs between users of a role (the approvals badge) is a slot in
the kept HTML, filled on each page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, partial

from django.apps import apps
from django.http import HttpRequest
from django.template import Variable, VariableDoesNotExist
from django.utils.functional import SimpleLazyObject
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from kesher.platform import stamps
from kesher.platform.access import can, grants_for
from kesher.platform.registry import Entity, registry

__all__ = ["NavMenu", "main_menus", "nav_slot_marker", "navigation", "register_nav_slot"]

# Apps whose lists are top-level links rather than a menu.
TOP_LEVEL_APPS = ("customers",)

MENUS_TEMPLATE = "nav_menus.html"

# name -> what fills the slot for a request (HTML, escaped by its maker)
_slots: dict[str, Callable[[HttpRequest], str]] = {}
_OPEN_ENTITY = Variable("entity.key")


def register_nav_slot(name: str, fill: Callable[[HttpRequest], str]) -> None:
    """A per-user part of the menus: their template writes ``nav_slot_marker(name)`` (the
    ``{% nav_slot %}`` tag) where ``fill(request)``'s HTML goes on every page."""
    _slots[name] = fill


def nav_slot_marker(name: str) -> SafeString:
    # A comment: escaped text (an entity's label) can never contain one.
    return mark_safe(f"<!--nav-slot:{name}-->")


def main_menus(context) -> SafeString:
    """The menus of ``context``'s page, rendered once per (role's grants, language, open list,
    registry) while the roles stay unchanged, their slots filled for this request."""
    request = context["request"]
    grants = grants_for(request.user)
    who = "all" if grants is None else f"role:{request.user.role_id}"
    try:
        open_entity = _OPEN_ENTITY.resolve(context)
    except VariableDoesNotExist:
        open_entity = ""
    key = f"menus:{who}:{get_language()}:{registry.version}:{open_entity}"
    menus = context.template.engine.get_template(MENUS_TEMPLATE)
    html = stamps.cached(stamps.ROLES, key, lambda: menus.render(context))
    for name, fill in _slots.items():
        marker = nav_slot_marker(name)
        if marker in html:
            html = html.replace(marker, fill(request))
    return mark_safe(html)


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
    built = cache(partial(_navigation, request))
    return {
        name: SimpleLazyObject(partial(_item, built, name))
        for name in ("nav_entities", "nav_menus", "admin_entities")
    }


def _item(built, name: str) -> list:
    return built()[name]


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

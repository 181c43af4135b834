"""Defining, changing and removing kinds of record (issue 27 items 1 and 3; REQ CX-1, CX-7).

Every write goes through these services, from the pages, the API and the templates alike. A
kind's key is its address and its API resource: it is checked against every entity and
address word in use, and never changes. Deleting a kind is refused while it has records.
"""

from __future__ import annotations

import functools
import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kesher.objects.models import STATUS_LIST_PREFIX, CustomObject
from kesher.platform import stamps
from kesher.platform.models import Choice, CustomField, FieldRule, SavedView
from kesher.platform.records.services import record_create, record_delete, record_update
from kesher.platform.registry import registry

__all__ = [
    "RESERVED_KEYS",
    "address_words",
    "check_definition",
    "custom_object_create",
    "custom_object_delete",
    "custom_object_update",
    "refresh_kinds",
]

# Words the addresses and the API use beside entity keys (``/r/<key>/``, ``/api/v1/<key>/``);
# ``address_words`` adds every fixed word the URL configuration has there.
RESERVED_KEYS = frozenset(
    {
        "admin",
        "api",
        "auth",
        "custom-objects",
        "export",
        "import",
        "me",
        "media",
        "new",
        "o",
        "pick",
        "r",
        "schema",
        "search",
        "static",
    }
)
# The address prefixes under which a kind's key is the next word.
KIND_PREFIXES = ("r/", "api/v1/")


@functools.cache
def address_words() -> frozenset[str]:
    """Every fixed first word after the kinds' prefixes in the URL configuration (``search``,
    ``bulk``, ``notes``, ``saved-views`` …): a kind with that key would be shadowed by, or
    shadow, a route the platform or a module serves."""
    from django.urls import get_resolver

    words = set(RESERVED_KEYS)

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern).lstrip("^")
            if hasattr(pattern, "url_patterns"):
                walk(pattern.url_patterns, route)
                continue
            for kind_prefix in KIND_PREFIXES:
                if route.startswith(kind_prefix):
                    word = re.split(r"[/.$]", route[len(kind_prefix) :], maxsplit=1)[0]
                    if word and re.fullmatch(r"[a-z0-9-]+", word):
                        words.add(word)

    walk(get_resolver().url_patterns, "")
    return frozenset(words)


# A new kind with a status starts with these values; administrators change them as data.
DEFAULT_STATUSES = (
    ("new", "חדש", "New", "secondary"),
    ("active", "פעיל", "Active", "primary"),
    ("done", "הסתיים", "Done", "success"),
)


def check_definition(definition: CustomObject) -> None:
    """A key no entity or address uses; a name in Hebrew."""
    errors: dict[str, list[str]] = {}
    key = definition.key or ""
    if definition.pk is None and key:
        registry.refresh()  # the entities as they are now, not as this process last saw them
        if CustomObject.objects.filter(key=key).exists():
            errors["key"] = [_("Another kind of record already has the key “%s”.") % key]
        elif key in registry or key in address_words():
            errors["key"] = [_("“%s” is a reserved word; choose another key.") % key]
    if errors:
        raise ValidationError(errors)


def refresh_kinds() -> None:
    """This process serves the kinds at once; the others on their next request (the stamp)."""
    stamps.renew("objects")
    registry.refresh()


@transaction.atomic
def custom_object_create(*, actor, data: dict, m2m=None) -> CustomObject:
    """Define a kind of record; one with a status gets its starting values."""
    definition = record_create("custom-objects", actor=actor, data=data, m2m=m2m)
    if definition.has_status:
        _add_statuses(definition)
    refresh_kinds()
    return definition


def _add_statuses(definition: CustomObject) -> None:
    if Choice.objects.filter(list_key=definition.status_list).exists():
        return
    for order, (value, label_he, label_en, colour) in enumerate(DEFAULT_STATUSES):
        Choice.objects.create(
            list_key=definition.status_list,
            value=value,
            label_he=label_he,
            label_en=label_en,
            colour=colour,
            order=order,
            extra={"default": True} if order == 0 else {},
        )


@transaction.atomic
def custom_object_update(
    definition: CustomObject, *, actor, data: dict, m2m=None, expected_version=None
) -> CustomObject:
    """Rename, re-order, deactivate or re-activate a kind; its records and their values stay.
    The key never changes (it is the kind's address and API resource)."""
    if "key" in data and data["key"] != definition.key:
        raise ValidationError({"key": [_("The key of an existing kind cannot change.")]})
    definition = record_update(
        definition, actor=actor, data=data, m2m=m2m, expected_version=expected_version
    )
    if definition.has_status:
        _add_statuses(definition)
    refresh_kinds()
    return definition


@transaction.atomic
def custom_object_delete(definition: CustomObject, *, actor, expected_version=None) -> None:
    """Remove a kind with no records, with its fields, rules, views and status values; a kind
    with records is refused (export or delete them first, or deactivate it)."""
    locked = CustomObject.objects.select_for_update().get(pk=definition.pk)
    count = locked.records.count()
    if count:
        raise ValidationError(
            _(
                "%(name)s has %(count)s records. Export and delete them first, or deactivate "
                "the kind to keep them."
            )
            % {"name": locked.plural, "count": count}
        )
    key = locked.key
    CustomField.objects.filter(entity=key).delete()
    FieldRule.objects.filter(entity=key).delete()
    SavedView.objects.filter(entity=key).delete()
    Choice.objects.filter(list_key=f"{STATUS_LIST_PREFIX}{key}").delete()
    from kesher.org.models import RolePermission

    RolePermission.objects.filter(entity=key).delete()
    record_delete(locked, actor=actor, expected_version=expected_version)
    refresh_kinds()

"""The link from an interaction or a task to the record it is about, for any registered entity.

A link is the entity's registry key and the record's id (decision 0019): both stable across
installations, readable in the API and in exports, and checked against the registry and the
actor's visibility in the services.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

from kesher.platform.access import can
from kesher.platform.registry import registry

__all__ = ["link_choices", "linkable_keys", "linked_record", "linked_visible_q", "resolve_link"]


def linkable_keys() -> list[str]:
    """Keys of the entities work can be about (``Entity.linkable``: accounts, contacts, later
    deals, tickets...), in navigation order."""
    return [e.key for e in registry.linkable()]


def link_choices():
    """Choices of the ``link_type`` fields (a callable: the registry fills after models load)."""
    return [(key, registry.get(key).label) for key in linkable_keys()]


def resolve_link(link_type: str, link_id, actor):
    """The record a link points at, if ``actor`` may see it; ValidationError otherwise."""
    if not link_type and link_id in (None, ""):
        return None
    if link_type not in linkable_keys():
        raise ValidationError({"link_type": [_("Choose the kind of record this is about.")]})
    try:
        pk = int(link_id)
    except (TypeError, ValueError):
        raise ValidationError({"link_id": [_("Choose the record this is about.")]}) from None
    entity = registry.get(link_type)
    record = None
    if actor is None or can(actor, link_type, "view"):
        qs = entity.queryset() if actor is None else entity.queryset().visible_to(actor)
        record = qs.filter(pk=pk).first()
    if record is None:
        # The same answer for "missing" and "out of your scope": existence must not leak.
        raise ValidationError({"link_id": [_("No such record, or you may not see it.")]})
    return record


def linked_record(obj):
    """The record ``obj`` (an interaction or a task) is linked to, unscoped (None if gone)."""
    if not obj.link_type or obj.link_id is None or obj.link_type not in registry:
        return None
    model = registry.get(obj.link_type).model
    return model._base_manager.filter(pk=obj.link_id).first()


def linked_visible_q(user, keys: Iterable[str] | None = None) -> Q:
    """Rows linked to a record ``user`` may see: one condition per linkable entity (of
    ``keys`` only, when the caller knows which kinds of record its rows link to)."""
    condition = Q(pk__in=[])
    wanted = None if keys is None else set(keys)
    for key in linkable_keys():
        if wanted is not None and key not in wanted:
            continue
        if not can(user, key, "view"):
            continue
        visible = registry.get(key).queryset().visible_to(user)
        if not visible.query.where:
            # Everything of that entity is in scope: no subquery needed.
            condition |= Q(link_type=key)
        else:
            condition |= Q(link_type=key, link_id__in=visible.values("pk"))
    return condition

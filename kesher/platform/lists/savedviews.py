"""Saved views: a list's filter, columns and sort under a name, personal or shared; later
modules use one as a segment (REQ CU-1 segmentation, CX-8; issue "Customization" item 6)."""

from __future__ import annotations

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kesher.platform import jsonlimits
from kesher.platform.access import can, is_admin
from kesher.platform.customfields.types import type_of
from kesher.platform.customfields.values import definitions_for
from kesher.platform.lists import filterlang
from kesher.platform.models import SavedView
from kesher.platform.registry import Entity, registry
from kesher.platform.visibility import hidden_fields

__all__ = [
    "column_names",
    "parse_filter",
    "saved_view_create",
    "saved_view_delete",
    "saved_view_queryset",
    "saved_view_update",
    "segment",
    "sort_expression",
]

MAX_FILTER_BYTES = 100_000


def parse_filter(raw: str | dict | None):
    """A filter expression from a query parameter (JSON text) or an already-parsed object."""
    if raw in (None, ""):
        return None
    if isinstance(raw, dict):
        return raw
    if len(raw) > MAX_FILTER_BYTES:
        raise ValidationError({"filter": [_("The filter is too large.")]})
    try:
        return jsonlimits.loads(raw)
    except jsonlimits.TooDeep as exc:
        raise ValidationError({"filter": [str(exc)]}) from None
    except ValueError:
        raise ValidationError({"filter": [_("The filter is not valid JSON.")]}) from None


def column_names(entity: Entity, user=None) -> set[str]:
    """Every column a list of ``entity`` can show: concrete fields and active custom fields,
    but those ``user`` does not see."""
    names = {
        f.name
        for f in entity.model._meta.get_fields()
        if getattr(f, "concrete", False) and f.name not in ("custom", "password")
    }
    names |= {f"custom.{d.key}" for d in definitions_for(entity)}
    return names - hidden_fields(entity, user)


def _validate(entity: Entity, data: dict, actor) -> dict:
    errors = {}
    cleaned = dict(data)
    name = (data.get("name") or "").strip()
    if not name:
        errors["name"] = [_("This field is required.")]
    elif len(name) > 100:
        errors["name"] = [_("Ensure this value has at most 100 characters.")]
    cleaned["name"] = name
    try:
        filterlang.compile_filter(entity, data.get("filter") or {}, actor)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    columns = data.get("columns") or []
    known = column_names(entity, actor)
    if not isinstance(columns, list) or any(c not in known for c in columns):
        errors["columns"] = [_("Unknown column.")]
    sort = data.get("sort") or ""
    if sort and sort.lstrip("-") not in known:
        errors["sort"] = [_("Unknown column.")]
    if errors:
        raise ValidationError(errors)
    return cleaned


def _entity_for(key: str, user) -> Entity:
    try:
        entity = registry.get(key)
    except KeyError:
        raise ValidationError({"entity": [_("Unknown entity.")]}) from None
    if not can(user, key, "view"):
        raise ValidationError({"entity": [_("You may not see this entity.")]})
    return entity


@transaction.atomic
def saved_view_create(*, actor, data: dict) -> SavedView:
    """Save a list view. Only administrators may share a view with everyone."""
    entity = _entity_for(data.get("entity", ""), actor)
    cleaned = _validate(entity, data, actor)
    shared = bool(cleaned.get("shared"))
    if shared and not is_admin(actor):
        raise ValidationError({"shared": [_("Only administrators can share views.")]})
    return SavedView.objects.create(
        entity=entity.key,
        name=cleaned["name"],
        owner=actor,
        shared=shared,
        filter=cleaned.get("filter") or {},
        columns=cleaned.get("columns") or [],
        sort=cleaned.get("sort") or "",
    )


@transaction.atomic
def saved_view_update(view: SavedView, *, actor, data: dict) -> SavedView:
    if view.owner_id != actor.pk and not is_admin(actor):
        raise ValidationError({"owner": [_("Only the owner can change this view.")]})
    merged = {
        "entity": view.entity,
        "name": view.name,
        "shared": view.shared,
        "filter": view.filter,
        "columns": view.columns,
        "sort": view.sort,
        **{k: v for k, v in data.items() if k != "entity"},
    }
    entity = _entity_for(view.entity, actor)
    cleaned = _validate(entity, merged, actor)
    if cleaned.get("shared") and not view.shared and not is_admin(actor):
        raise ValidationError({"shared": [_("Only administrators can share views.")]})
    for name in ("name", "shared", "filter", "columns", "sort"):
        setattr(view, name, cleaned.get(name) if cleaned.get(name) is not None else "")
    view.shared = bool(cleaned.get("shared"))
    view.filter = cleaned.get("filter") or {}
    view.columns = cleaned.get("columns") or []
    view.updated_at = timezone.now()
    view.save()
    return view


def saved_view_delete(view: SavedView, *, actor) -> None:
    if view.owner_id != actor.pk and not is_admin(actor):
        raise ValidationError({"owner": [_("Only the owner can delete this view.")]})
    view.delete()


def saved_view_queryset(user):
    return SavedView.objects.for_user(user).select_related("owner")


def segment(view: SavedView, user):
    """The records of a saved view that ``user`` may see — the view used as a segment."""
    entity = registry.get(view.entity)
    qs = entity.queryset().visible_to(user)
    return filterlang.apply_filter(qs, entity, view.filter, user=user)


def sort_expression(entity: Entity, sort: str):
    """``(aliases, order_by)`` for a sort key, custom fields included; ``None`` if unknown."""
    descending = sort.startswith("-")
    name = sort.lstrip("-")
    if name.startswith("custom."):
        definitions = {d.key: d for d in definitions_for(entity)}
        definition = definitions.get(name.removeprefix("custom."))
        if definition is None:
            return None
        kind = type_of(definition).filter_kind
        alias = f"_sort_{definition.key}"
        expression = filterlang.CustomValue(definition.key, kind)
        order = expression.desc(nulls_last=True) if descending else expression.asc(nulls_last=True)
        return {alias: expression}, [order, "-pk" if descending else "pk"]
    try:
        field = entity.model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    tie = "-pk" if descending else "pk"
    if getattr(field, "null", False) and not field.is_relation:
        # Empty values last whichever way, the same on SQLite and PostgreSQL, and seekable.
        order = F(name).desc(nulls_last=True) if descending else F(name).asc(nulls_last=True)
        return {}, [order, tie]
    return {}, [sort, tie]

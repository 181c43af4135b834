"""Each active admin-defined kind of record as a registry entity (decision 0073).

A kind is served by a *proxy* of ``CustomRecord`` made here while Kesher runs: its manager
reads only the kind's rows, so ``visible_to(user)``, the pages, the API, search, import, bulk
actions and automation find the kind's entity from the model (``Registry.for_model``) as they
do for a built-in one. The registry loads the kinds again in every process on its next request
after a definition or a custom field changes (the source's stamps); a proxy made once is kept
while its kind exists, so reloading costs no new classes.
"""

from __future__ import annotations

from django.apps import apps
from django.db import models
from django.utils.functional import lazy

from kesher.objects.models import CustomObject, CustomRecord
from kesher.platform.models import CustomField, EntityQuerySet
from kesher.platform.registry import Entity, ListedOn, Section

__all__ = ["OBJECTS", "entity_of", "key_of", "load", "proxy_for"]

OBJECTS = "objects"  # the stamp renewed by every change to a definition

_proxies: dict[str, type[CustomRecord]] = {}
# What the proxies' and entities' lazy names read: the definitions as last loaded.
_definitions: dict[str, CustomObject] = {}
_keys: dict[int, str] = {}


def key_of(definition_id: int) -> str:
    """The key of a kind by its id (a record read through the generic table names its kind)."""
    if definition_id not in _keys:
        key = CustomObject.objects.filter(pk=definition_id).values_list("key", flat=True).first()
        if key is None:
            return ""
        _keys[definition_id] = key
    return _keys[definition_id]


class _KindManager(models.Manager.from_queryset(EntityQuerySet)):  # type: ignore[misc]
    """The records of the proxy's kind only."""

    def get_queryset(self):
        return super().get_queryset().filter(definition_id=self.model.definition_pk)


def _name(key: str, attribute: str) -> str:
    definition = _definitions.get(key)
    return getattr(definition, attribute, key) if definition is not None else key


def _lazy_name(key: str, attribute: str):
    return lazy(lambda: _name(key, attribute), str)()


def proxy_for(definition: CustomObject) -> type[CustomRecord]:
    """The model class serving ``definition``'s records (made once per kind and process)."""
    _definitions[definition.key] = definition
    _keys[definition.pk] = definition.key
    cls = _proxies.get(definition.key)
    if cls is not None and cls.definition_pk == definition.pk:
        return cls
    name = "Kind_" + definition.key.replace("-", "_")
    # A kind deleted and defined again under its key: the old class leaves Django's registry.
    apps.all_models["objects"].pop(name.lower(), None)
    apps.clear_cache()
    meta = type(
        "Meta",
        (),
        {
            "proxy": True,
            "app_label": "objects",
            "verbose_name": _lazy_name(definition.key, "name"),
            "verbose_name_plural": _lazy_name(definition.key, "plural"),
        },
    )
    cls = type(
        name,
        (CustomRecord,),
        {
            "__module__": __name__,
            "Meta": meta,
            "definition_pk": definition.pk,
            "objects": _KindManager(),
        },
    )
    _proxies[definition.key] = cls
    return cls


def entity_of(definition: CustomObject, links: list[CustomField]) -> Entity:
    """The registry entity of one kind; ``links`` are its custom fields that link to another
    entity, each listed on the linked record's page (the link's other side)."""
    model = proxy_for(definition)
    key = definition.key
    fields = ["name"]
    if definition.has_status:
        fields.append("status")
    if definition.has_owner:
        fields.append("owner")
    columns = tuple(fields)
    plural = _lazy_name(key, "plural")
    return Entity(
        key=key,
        model=model,
        label=_lazy_name(key, "name"),
        label_plural=plural,
        icon=definition.icon or "◆",
        nav_order=definition.nav_order,
        list_columns=(*columns, "updated_at"),
        form_fields=columns,
        sections=(Section(_lazy_name(key, "name"), columns),),
        listed_on=tuple(
            ListedOn(link.link_entity, f"custom__{link.key}", plural, columns) for link in links
        ),
        search_words=("name",),
        filter_fields=tuple(f for f in columns if f != "name"),
        ordering_fields=("name", "created_at", "updated_at", "id"),
        default_ordering=("name", "id"),
        select_related=tuple(f for f in columns if f != "name"),
        owner_field="owner" if definition.has_owner else None,
        status_field="status" if definition.has_status else None,
        choice_lists={"status": definition.status_list} if definition.has_status else {},
        natural_keys=("name",),
        large=True,
        linkable=definition.linkable,
        api_example={"name": "…", "custom_fields": {}},
    )


def load() -> list[Entity]:
    """Every active kind's entity, from two queries."""
    definitions = list(CustomObject.objects.filter(active=True))
    keys = [d.key for d in definitions]
    links: dict[str, list[CustomField]] = {}
    for field in CustomField.objects.filter(
        entity__in=keys, type=CustomField.Type.LINK, active=True
    ).order_by("order", "pk"):
        links.setdefault(field.entity, []).append(field)
    return [entity_of(d, links.get(d.key, [])) for d in definitions]

"""The entity registry: an entity registers once and gets list, detail, forms, API, search,
access scoping and audit from the platform (DESIGN.md, "The platform core")."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import models

__all__ = ["Entity", "Related", "Section", "register", "registry"]


@dataclass(frozen=True)
class Section:
    """A titled group of fields on the detail page and the form."""

    title: str
    fields: tuple[str, ...]


@dataclass(frozen=True)
class Related:
    """A list of related records shown on the detail page."""

    title: str
    entity_key: str
    # Filter on the related entity's queryset selecting the rows of one parent record.
    lookup: str
    columns: tuple[str, ...]


@dataclass
class Entity:
    """Everything the platform needs to know to serve one model."""

    key: str  # URL segment and API resource name, plural kebab-case: "accounts"
    model: type[models.Model]
    label: str
    label_plural: str
    icon: str = "•"
    list_columns: tuple[str, ...] = ()
    form_fields: tuple[str, ...] = ()
    sections: tuple[Section, ...] = ()
    related: tuple[Related, ...] = ()
    # Fields whose words / emails / phones feed the global search index.
    search_words: tuple[str, ...] = ()
    search_emails: tuple[str, ...] = ()
    search_phones: tuple[str, ...] = ()
    filter_fields: tuple[str, ...] = ()
    ordering_fields: tuple[str, ...] = ()
    default_ordering: tuple[str, ...] = ("-id",)
    select_related: tuple[str, ...] = ()
    # Prefetched with the record on its detail page, for the app's panels (no N+1 there).
    prefetch_related: tuple = ()
    # Record scope paths; None means the scope does not narrow this entity by that dimension.
    owner_field: str | None = "owner"
    company_field: str | None = None
    # Links whose visibility decides this record's (a relationship is visible when one of its
    # ends is); used instead of owner/company scoping when set.
    scope_via: tuple[str, ...] = ()
    status_field: str | None = None
    # Pick-list fields: model field name -> Choice.list_key.
    choice_lists: dict[str, str] = field(default_factory=dict)
    # A request body the API documentation shows for "create" (OpenAPI example).
    api_example: dict = field(default_factory=dict)
    in_navigation: bool = True
    nav_order: int = 100
    # Services: the generic ones unless the entity needs its own logic.
    create_service: Callable | None = None
    update_service: Callable | None = None
    delete_service: Callable | None = None
    # When set, the delete service also takes a ``replacement`` record, which takes the deleted
    # one's place wherever it is used; this gives the candidates for one record
    # (pick-list values, issue "Customization" 8).
    replacement_candidates: Callable | None = None
    # Set by an app that looks for duplicates (kesher.dedupe): an object whose
    # ``find(actor, data)`` lists records like the one about to be created (dicts with "id",
    # "display", "url", "score", "reasons"), with ``template`` (the create page's warning),
    # ``message`` and ``as_json(candidates)``. The generic create page and API ask it first and
    # create only when nothing is found or the user confirms (REQ IM-3).
    duplicate_finder: Any = None
    # What the generated form and serializer cannot read off the model: a class mixed into the
    # entity's form (``platform/ui/forms.py``: a pick-list value's declared settings) or into
    # its serializer (``platform/api/serializers.py``: a contact's accounts with the role at
    # each, a role's grants). Its fields come on top of ``form_fields``.
    form_mixin: type | None = None
    serializer_mixin: type | None = None

    @property
    def model_label(self) -> str:
        return self.model._meta.label_lower

    def field(self, name: str):
        return self.model._meta.get_field(name)

    def has_search(self) -> bool:
        return bool(self.search_words or self.search_emails or self.search_phones)


class Registry:
    def __init__(self):
        self._by_key: dict[str, Entity] = {}
        self._by_model: dict[type, Entity] = {}

    def register(self, entity: Entity) -> Entity:
        if entity.key in self._by_key:
            raise ValueError(f"entity {entity.key!r} is registered twice")
        self._by_key[entity.key] = entity
        self._by_model[entity.model] = entity
        return entity

    def get(self, key: str) -> Entity:
        return self._by_key[key]

    def for_model(self, model) -> Entity:
        model = model if isinstance(model, type) else type(model)
        return self._by_model[model._meta.concrete_model]

    def has_model(self, model) -> bool:
        model = model if isinstance(model, type) else type(model)
        return model._meta.concrete_model in self._by_model

    def all(self) -> list[Entity]:
        return sorted(self._by_key.values(), key=lambda e: (e.nav_order, e.key))

    def keys(self) -> list[str]:
        return [e.key for e in self.all()]


registry = Registry()


def register(entity: Entity) -> Entity:
    return registry.register(entity)

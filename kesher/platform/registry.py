"""The entity registry: an entity registers once and gets list, detail, forms, API, search,
access scoping and audit from the platform (DESIGN.md, "The platform core").

Everything the platform or another app needs to know about one kind of record lives on its
``Entity``: no app keeps a list of entity keys. What one app adds to another's entity — a list
of its records on the other's page, a panel, a duplicate finder — goes through the registry's
contribution hooks (``ListedOn``, ``register_panel``, ``register_duplicate_finder``) instead of
changing the other app's registration.

Entities may also be registered while Kesher runs (admin-defined kinds of record): a *source*
(``add_source``) loads them, and every process loads them again on its next request after the
source's stamp changes (``refresh``, called by the request middleware and the worker's tick).
The pages and the API find entities by key at request time, and the OpenAPI schema is built
from the registry as it is then, so a new entity needs no restart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from django.db import models

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from kesher.platform.models import EntityQuerySet

__all__ = [
    "BuiltinView",
    "Entity",
    "ListedOn",
    "Panel",
    "Related",
    "Section",
    "register",
    "register_duplicate_finder",
    "register_panel",
    "registry",
]


@dataclass(frozen=True)
class Section:
    """A titled group of fields on the detail page and the form."""

    title: StrOrPromise
    fields: tuple[str, ...]


@dataclass(frozen=True)
class Related:
    """A list of related records shown on the detail page."""

    title: StrOrPromise
    entity_key: str
    # Filter on the related entity's queryset selecting the rows of one parent record.
    lookup: str
    columns: tuple[str, ...]


@dataclass(frozen=True)
class ListedOn:
    """The reverse side of a link, declared by the entity that links: "list my records on the
    page of the ``target`` they point at through ``via``" (a sub-task on its parent task, a
    contact on its accounts). The target's registration stays untouched."""

    target: str
    via: str
    title: StrOrPromise
    columns: tuple[str, ...]


@dataclass(frozen=True)
class Panel:
    """A template another app shows for the entities ``applies`` accepts.

    Where, by ``kind`` (a record's page reads from the top, as ``platform/detail.html`` lays it
    out): ``"actions"`` buttons in the record's header beside "Edit" (a button that opens a
    form loads it into ``#record-action-form``, right under them); ``"banners"`` under the
    header, across the page (alerts, the 360° figures); ``"aside"`` in the activity column,
    above the timeline; ``"panels"`` after the record's sections; ``"home"`` as the entity's
    card on the home page; ``"list"`` beside the list's bulk action, acting on the chosen rows
    (their checkboxes belong to the form ``#bulk-launch``). A panel with a ``label`` is listed
    in the record page's in-page navigation, which links to the element of id ``anchor`` it
    renders."""

    template: str
    applies: Callable[[Entity], bool]
    kind: str = "panels"
    order: int = 100
    label: StrOrPromise = ""
    anchor: str = ""


@dataclass(frozen=True)
class BuiltinView:
    """A view of an entity's list that comes with it, beside the saved views: its filter is
    the filter language's, read for whoever opens it (``"me"``, ``"mine"``), so one view
    serves every reader ("my team's tickets", decision 0124). Chosen by its ``key``
    (``?view=my-teams``) on the list page and in the API."""

    key: str
    name: StrOrPromise
    filter: dict
    sort: str = ""
    columns: tuple[str, ...] = ()
    shared = True
    owner_id = None
    builtin = True

    @property
    def pk(self) -> str:
        return self.key


@dataclass
class Entity:
    """Everything the platform needs to know to serve one model."""

    key: str  # URL segment and API resource name, plural kebab-case: "accounts"
    model: type[models.Model]
    label: StrOrPromise
    label_plural: StrOrPromise
    icon: str = "•"
    list_columns: tuple[str, ...] = ()
    form_fields: tuple[str, ...] = ()
    sections: tuple[Section, ...] = ()
    related: tuple[Related, ...] = ()
    # The reverse side of this entity's links, shown on the linked records' pages.
    listed_on: tuple[ListedOn, ...] = ()
    # Fields whose words / emails / phones feed the global search index.
    search_words: tuple[str, ...] = ()
    search_emails: tuple[str, ...] = ()
    search_phones: tuple[str, ...] = ()
    filter_fields: tuple[str, ...] = ()
    ordering_fields: tuple[str, ...] = ()
    default_ordering: tuple[str, ...] = ("-id",)
    select_related: tuple[str, ...] = ()
    # The relations the record's name (``str()``) reads; None: all of ``select_related``. The
    # API's lists give related records as ids, so they join only these.
    title_related: tuple[str, ...] | None = None
    # Prefetched with the record on its detail page, for the app's panels (no N+1 there).
    prefetch_related: tuple = ()
    # Record scope paths; None means the scope does not narrow this entity by that dimension.
    owner_field: str | None = "owner"
    company_field: str | None = None
    # The record's region (``"region"``, ``"account__region"``): the region scope reaches the
    # records of the user's regions by it (decision 0060).
    region_field: str | None = None
    # A department the record itself belongs to (a department's sales target): the department
    # scope reaches it in the user's department subtree, beside its owners' records.
    department_field: str | None = None
    # Links whose visibility decides this record's (a relationship is visible when one of its
    # ends is); used instead of owner/company scoping when set.
    scope_via: tuple[str, ...] = ()
    # Links to users or roles (many-to-many or foreign keys) that share a record beyond the
    # grant's scope: whoever they name, or whose role they name, sees it too — provided his
    # role may view the entity at all (a report shared with sales reps, decision 0071).
    shared_via: tuple[str, ...] = ()
    # The field holding the record's state, usually a pick-list: shown in its page's header,
    # the status of field rules' "required at these statuses" and of automation's status
    # triggers.
    status_field: str | None = None
    # The key fields its page shows under the record's name, in order (status, owner, phone…);
    # empty: its status and owner fields.
    headline_fields: tuple[str, ...] = ()
    # Pick-list fields: model field name -> Choice.list_key (the list its ``choice_fk`` names).
    choice_lists: dict[str, str] = field(default_factory=dict)
    # Internal fields kept out of the audit trail and the timeline (a flag a service derives
    # from another field, account flags); passwords are never kept anyway (decision 0042).
    audit_exclude: tuple[str, ...] = ()
    # A request body the API documentation shows for "create" (OpenAPI example).
    api_example: dict = field(default_factory=dict)
    in_navigation: bool = True
    nav_order: int = 100
    # Links to this entity are chosen with the search-as-you-type picker: a <select> of every
    # record would not load (accounts, contacts, tasks, later deals and tickets).
    large: bool = False
    # Interactions and tasks may be about its records; their pages show the activities panel.
    linkable: bool = False
    # The import wizard offers it.
    importable: bool = True
    # Administrators may add custom fields to it (the model needs the ``custom`` JSON column).
    custom_fields: bool = True
    # Fields that identify one record, in order of preference: an imported row is matched to
    # an existing record by them (update and upsert imports, REQ IM-2).
    natural_keys: tuple[str, ...] = ()
    # Fields by which a file names a linked record (after its external id): an account by its
    # company number or its name. Empty: ``name`` where the model has one.
    lookup_keys: tuple[str, ...] = ()
    # The field an interaction with the record moves forward (last-contact date, REQ CU-9).
    last_contact_field: str | None = None
    # A new record belongs to the user who creates it unless another owner is given.
    owner_defaults_to_actor: bool = True
    # Services: the generic ones unless the entity needs its own logic.
    create_service: Callable | None = None
    update_service: Callable | None = None
    delete_service: Callable | None = None
    # When set, the delete service also takes a ``replacement`` record, which takes the deleted
    # one's place wherever it is used; this gives the candidates for one record
    # (pick-list values, issue "Customization" 8).
    replacement_candidates: Callable | None = None
    # What the generated form and serializer cannot read off the model: a class mixed into the
    # entity's form (``platform/ui/forms.py``: a pick-list value's declared settings, a new
    # pick-list field's values — inputs it names in ``service_options`` go to the create
    # service as keyword arguments) or into its serializer (``platform/api/serializers.py``: a
    # contact's accounts with the role at each, a role's grants). Its fields come on top of
    # ``form_fields``.
    form_mixin: type | None = None
    serializer_mixin: type | None = None
    # Records the law keeps (issued tax documents, 7 years: ISRAEL.md): ``retained_by_law``
    # says of one record whether it is kept; erasing a person's data (kesher.privacy) then
    # leaves its ``retained_fields`` as they are and marks it as kept, and anonymizes the rest.
    retained_by_law: Callable[[Any], bool] | None = None
    retained_fields: tuple[str, ...] = ()
    # Columns wholly the person's (what he typed into a web form, the address he sent it
    # from): erasing him blanks them — every text in a JSON one — rather than replacing the
    # values of his that Kesher knows elsewhere, which may be written differently there.
    erased_fields: tuple[str, ...] = ()
    # The entity whose records these are parts of (a quote's lines are parts of "quotes",
    # decision 0103): a reader may view them when he may view it, and sees those of its records
    # he sees (``scope_via`` names the link); no grant of their own, and never created,
    # changed or deleted on their own — the whole's services write them. Lists, pages, the API,
    # export and reports read them like any entity.
    part_of: str | None = None
    # Fields hidden from a role wherever another entity's field is (``{"unit_cost":
    # ("products", "cost_price")}``): a line's cost is the product's cost price, and whoever
    # may not see the one may not see the other (decision 0103), beside the field rules of
    # the entity itself.
    hidden_with: dict[str, tuple[str, str]] = field(default_factory=dict)
    # Number fields that hold a length of time, and its unit (``{"minutes": "minutes"}``,
    # ``{"duration_seconds": "seconds"}``): reports show their sums, averages and extremes as
    # hours (``7:30``), and export and chart them in hours (decision 0116).
    durations: dict[str, str] = field(default_factory=dict)
    # Views of its list that come with it (``BuiltinView``), offered before the saved views.
    builtin_views: tuple[BuiltinView, ...] = ()

    @property
    def model_label(self) -> str:
        return self.model._meta.label_lower

    def field(self, name: str):
        return self.model._meta.get_field(name)

    def builtin_view(self, key: str) -> BuiltinView | None:
        """Its built-in view named ``key``, if it has one."""
        return next((v for v in self.builtin_views if v.key == key), None)

    def queryset(self) -> EntityQuerySet:
        """All its records, through the model's ``objects``: ``visible_to(user)`` scopes them."""
        # Every entity's model declares an EntityQuerySet manager (decision 0014); ``Model``
        # does not say so, hence the ignore.
        return self.model.objects.all()  # type: ignore[attr-defined]

    def has_search(self) -> bool:
        return bool(self.search_words or self.search_emails or self.search_phones)

    @cached_property
    def has_custom_fields(self) -> bool:
        """Whether records carry custom-field values (and administrators may define some)."""
        return self.custom_fields and any(
            f.name == "custom" for f in self.model._meta.concrete_fields
        )

    @property
    def link_lookup_keys(self) -> tuple[str, ...]:
        if self.lookup_keys:
            return self.lookup_keys
        names = {f.name for f in self.model._meta.concrete_fields}
        return ("name",) if "name" in names else ()

    @property
    def headline(self) -> tuple[str, ...]:
        """The fields its page's header shows beside the record's name."""
        if self.headline_fields:
            return self.headline_fields
        return tuple(name for name in (self.status_field, self.owner_field) if name)

    @property
    def related_lists(self) -> tuple[Related, ...]:
        """Its own related lists, then those other entities declare with ``listed_on``."""
        return self.related + registry.listed_on(self.key)

    @property
    def duplicate_finder(self) -> Any:
        """An object whose ``find(actor, data)`` lists records like the one about to be
        created (dicts with "id", "display", "url", "score", "reasons"), with ``template``
        (the create page's warning), ``message`` and ``as_json(candidates)``; registered by an
        app that looks for duplicates (kesher.dedupe). The generic create page and API ask it
        first and create only when nothing is found or the user confirms (REQ IM-3)."""
        return registry.duplicate_finder(self.key)


class Registry:
    def __init__(self):
        self._by_key: dict[str, Entity] = {}
        self._by_model: dict[type, Entity] = {}
        self._panels: list[Panel] = []
        self._finders: dict[str, Any] = {}
        # name -> (stamp, load, keys it registered, the loaded value they came from)
        self._sources: dict[str, list] = {}
        # Changes whenever the set of entities changes: caches built from the registry
        # (viewsets, serializers) compare it.
        self.version = 0

    def register(self, entity: Entity) -> Entity:
        if entity.key in self._by_key:
            raise ValueError(f"entity {entity.key!r} is registered twice")
        self._by_key[entity.key] = entity
        self._by_model[entity.model] = entity
        self.version += 1
        return entity

    def unregister(self, key: str) -> None:
        entity = self._by_key.pop(key)
        self._by_model.pop(entity.model, None)
        self.version += 1

    def get(self, key: str) -> Entity:
        return self._by_key[key]

    def __contains__(self, key: str) -> bool:
        return key in self._by_key

    def for_model(self, model) -> Entity:
        """The entity of a model or of one record. A model serving several entities (the
        proxies of admin-defined kinds, decision 0073) is found by its own class; a record
        read through their shared table names its entity (``registry_key``)."""
        if not isinstance(model, type):
            key = getattr(model, "registry_key", None)
            if key in self._by_key:
                return self._by_key[key]
            model = type(model)
        entity = self._by_model.get(model)
        if entity is not None:
            return entity
        return self._by_model[model._meta.concrete_model]

    def has_model(self, model) -> bool:
        if not isinstance(model, type):
            if getattr(model, "registry_key", None) in self._by_key:
                return True
            model = type(model)
        return model in self._by_model or model._meta.concrete_model in self._by_model

    def all(self) -> list[Entity]:
        return sorted(self._by_key.values(), key=lambda e: (e.nav_order, e.key))

    def keys(self) -> list[str]:
        return [e.key for e in self.all()]

    def linkable(self) -> list[Entity]:
        """Entities interactions and tasks may be about, in navigation order."""
        return [e for e in self.all() if e.linkable]

    # --- what apps add to other apps' entities ---------------------------------------------

    def listed_on(self, key: str) -> tuple[Related, ...]:
        return tuple(
            Related(listed.title, entity.key, listed.via, listed.columns)
            for entity in self.all()
            for listed in entity.listed_on
            if listed.target == key
        )

    def register_panel(self, panel: Panel) -> Panel:
        if panel not in self._panels:
            self._panels.append(panel)
        return panel

    def panels(self, entity: Entity, kind: str = "panels") -> list[str]:
        return [
            p.template
            for p in sorted(self._panels, key=lambda p: p.order)
            if p.kind == kind and p.applies(entity)
        ]

    def panel_links(self, entity: Entity, kind: str = "panels") -> list[tuple[StrOrPromise, str]]:
        """``(label, anchor)`` of the labelled panels of a kind on an entity's page, for its
        in-page navigation."""
        return [
            (p.label, p.anchor)
            for p in sorted(self._panels, key=lambda p: p.order)
            if p.kind == kind and p.label and p.applies(entity)
        ]

    def register_duplicate_finder(self, key: str, finder: Any) -> None:
        self._finders[key] = finder

    def duplicate_finder(self, key: str) -> Any:
        return self._finders.get(key)

    # --- entities registered while Kesher runs ---------------------------------------------

    def add_source(
        self,
        name: str,
        *,
        stamp: str | tuple[str, ...],
        load: Callable[[], Iterable[Entity]],
        load_now: bool = True,
    ) -> None:
        """Entities that ``load()`` makes from data (admin-defined kinds of record); loaded
        again in every process once stamp ``stamp`` (or any of several) is renewed. With
        ``load_now=False`` they are first loaded by the next ``refresh`` (a request, the
        worker's tick), not while Kesher starts and the database may not be there yet."""
        self._sources[name] = [stamp, load, (), None]
        if load_now:
            self.refresh()

    def remove_source(self, name: str) -> None:
        _stamp, _load, keys, _value = self._sources.pop(name)
        for key in keys:
            self.unregister(key)

    def refresh(self) -> None:
        """Bring the sources' entities up to date: one stamp read, shared with the request's
        other cached definitions; nothing to do without sources."""
        if not self._sources:
            return
        from kesher.platform import stamps

        for name, source in self._sources.items():
            stamp, load, keys, value = source
            # mypy cannot type a lambda with a default argument (it binds the loop's ``load``).
            current = stamps.cached(stamp, f"registry:{name}", lambda load=load: tuple(load()))  # type: ignore[misc]
            if current is value:
                continue
            for key in keys:
                self.unregister(key)
            for entity in current:
                self.register(entity)
            source[2], source[3] = tuple(e.key for e in current), current


registry = Registry()


def register(entity: Entity) -> Entity:
    return registry.register(entity)


def register_panel(
    template: str,
    *,
    applies: Callable[[Entity], bool],
    kind: str = "panels",
    order: int = 100,
    label: StrOrPromise = "",
    anchor: str = "",
) -> Panel:
    """Show ``template`` on the detail page of every entity ``applies`` accepts, now or
    registered later (the activities panel on every linkable entity); ``Panel`` says where."""
    return registry.register_panel(Panel(template, applies, kind, order, label, anchor))


def register_duplicate_finder(key: str, finder: Any) -> None:
    registry.register_duplicate_finder(key, finder)

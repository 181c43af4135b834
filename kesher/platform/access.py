"""Who may do what: entity permissions from the user's role and record scoping (REQ OR-3, CX-9).

``scope_queryset`` is the body of ``QuerySet.visible_to(user)``; every list, detail, search,
export and API read goes through it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.db.models import Exists, OuterRef, Q, QuerySet

__all__ = [
    "ACTIONS",
    "Grant",
    "can",
    "grant",
    "grants_for",
    "is_admin",
    "linkable",
    "scope_queryset",
    "shared_with",
]

ACTIONS = ("view", "add", "change", "delete")


@dataclass(frozen=True)
class Grant:
    view: bool = False
    add: bool = False
    change: bool = False
    delete: bool = False
    scope: str = "own"


FULL = Grant(True, True, True, True, "all")
NONE = Grant()


def grants_for(user) -> dict[str, Grant] | None:
    """The user's grants by entity key, loaded once per user object; None means "everything"."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return {}
    if hasattr(user, "_kesher_grants"):
        return user._kesher_grants
    grants: dict[str, Grant] | None
    if user.is_superuser:
        grants = None
    elif user.role_id is None:
        grants = {}
    else:
        from kesher.platform import stamps

        role_id = user.role_id
        grants = stamps.cached(stamps.ROLES, f"grants:{role_id}", lambda: _role_grants(role_id))
    user._kesher_grants = grants
    return grants


def _role_grants(role_id: int) -> dict[str, Grant] | None:
    from kesher.org.models import Role

    role = Role.objects.filter(pk=role_id).prefetch_related("permissions").first()
    if role is None:
        return {}
    if role.is_admin:
        return None
    return {
        r.entity: Grant(r.can_view, r.can_add, r.can_change, r.can_delete, r.scope)
        for r in role.permissions.all()
    }


def grant(user, entity_key: str) -> Grant:
    from kesher.platform.registry import registry

    if entity_key in registry:
        whole = registry.get(entity_key).part_of
        if whole is not None:
            # Parts of a record (a document's lines, decision 0103): viewed with the whole,
            # of the records of it the reader sees (``scope_via``), never written on their own.
            return Grant(view=grant(user, whole).view, scope="all")
    grants = grants_for(user)
    if grants is None:
        return FULL
    return grants.get(entity_key, NONE)


def can(user, entity_key: str, action: str) -> bool:
    return getattr(grant(user, entity_key), action)


def is_admin(user) -> bool:
    return getattr(user, "is_authenticated", False) and user.is_active and grants_for(user) is None


def scope_queryset(qs: QuerySet, user, *, shared: bool = True) -> QuerySet:
    """``qs`` narrowed to what ``user`` may see; ``shared=False``: without what is only shared
    with him (``Entity.shared_via``), i.e. what he may change or delete when his role may."""
    from kesher.platform.registry import registry

    entity = registry.for_model(qs.model)
    g = grant(user, entity.key)
    if not g.view:
        return qs.none()
    scoped = _scoped(qs, user, entity, g)
    if not shared or not entity.shared_via or g.scope == "all" or scoped is qs:
        return scoped
    condition = shared_with(entity, user)
    if condition is None:
        return scoped
    ids = qs.model._base_manager.filter(condition).values("pk")
    return qs.filter(Q(pk__in=scoped.values("pk")) | Q(pk__in=ids))


def shared_with(entity, user) -> Q | None:
    """The condition of the records ``entity.shared_via`` shares with ``user`` (naming him or
    his role); None when there is none."""
    from kesher.org.models import Role

    condition = None
    for path in entity.shared_via:
        target = entity.model._meta.get_field(path).related_model
        if target is Role:
            if not user.role_id:
                continue
            term = Q(**{path: user.role_id})
        else:
            term = Q(**{path: user.pk})
        condition = term if condition is None else condition | term
    return condition


def _scoped(qs: QuerySet, user, entity, g: Grant) -> QuerySet:
    if entity.scope_via:
        via = Q()
        for path in entity.scope_via:
            related = qs.model._meta.get_field(path).related_model
            via |= Q(**{f"{path}__in": related.objects.visible_to(user).values("pk")})
        return qs.filter(via)
    if g.scope == "all" or entity.owner_field is None:
        return qs
    own = Q(**{entity.owner_field: user})
    if g.scope == "department" and user.department_id:
        from kesher.org.models import User

        # The department's people, as a set the database checks each row against. The owner
        # column is wrapped ("+owner_id") so that neither database drives the query from the
        # owner index and then sorts half the table: the list's own order index is walked and
        # stops at the page (bench/README.md, list.manager_scope).
        members = User.objects.filter(department__path__startswith=user.department.path).values(
            "pk"
        )
        owner = models.Func(
            models.F(f"{entity.owner_field}_id"),
            template="+%(expressions)s",
            output_field=models.BigIntegerField(),
        )
        reach = own | Q(_scope_owner__in=members)
        if entity.department_field:
            reach |= Q(**{f"{entity.department_field}__path__startswith": user.department.path})
        return qs.alias(_scope_owner=owner).filter(reach)
    if g.scope == "company" and entity.company_field:
        company_ids = list(user.companies.values_list("pk", flat=True))
        shared = qs.model._base_manager.filter(
            pk=OuterRef("pk"), **{f"{entity.company_field}__in": company_ids}
        )
        return qs.filter(own | Q(Exists(shared)))
    if g.scope == "region" and entity.region_field:
        # His own records wherever they are, and those of his regions (decision 0060); the
        # region is tested in a subquery, as the company, so a path through a many-to-many
        # link does not repeat rows.
        region_ids = list(user.regions.values_list("pk", flat=True))
        in_region = qs.model._base_manager.filter(
            pk=OuterRef("pk"), **{f"{entity.region_field}__in": region_ids}
        )
        return qs.filter(own | Q(Exists(in_region)))
    return qs.filter(own)


def linkable(qs: QuerySet, user) -> QuerySet:
    """The records of ``qs`` that ``user`` may point a record at: those he may see.

    Pick-list values are the exception: everyone picks them on the records he edits (a sales
    rep sets an account's status); the ``choices`` grant is about editing the lists themselves
    (REQ CX-4). The services still check that a value belongs to its list.
    """
    from kesher.platform.models import Choice

    if qs.model is Choice:
        return qs
    return qs.visible_to(user)  # type: ignore[attr-defined]  # an entity's: an EntityQuerySet


def pointable(qs: QuerySet, user) -> QuerySet:
    """What a form or the API offers for a link: an entity's records as ``linkable``; of a
    model kept per user (saved views: ``for_user``), the user's own and the shared ones — the
    name of someone else's personal view is not shown to others; anything else as it is."""
    from kesher.platform.registry import registry

    if registry.has_model(qs.model):
        return linkable(qs, user)
    if hasattr(qs, "for_user"):
        # Nobody's views for a caller not signed in (the schema is generated as one).
        return qs.for_user(user) if getattr(user, "is_authenticated", False) else qs.none()
    return qs

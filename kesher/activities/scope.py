"""Who sees which interactions and tasks (REQ OR-3; issue 4: "a rep sees only tasks and
interactions on records within their scope").

A user sees an activity when the role's scope covers its owner (an interaction's owner, a
task's assignee: own, department subtree or all), when the user takes part in it (a task's
creator or delegator, an interaction's participant), or when it is linked to a record the user
may see. Each part is one indexed condition; there is no per-row Python.
"""

from __future__ import annotations

from django.db.models import Q

from kesher.platform.access import grant, grants_for, scope_queryset
from kesher.platform.records.links import linked_visible_q

__all__ = ["activity_scope"]


def _taking_part(model, user) -> Q:
    if model._meta.model_name == "task":
        return Q(created_by=user) | Q(delegated_by=user)
    if model._meta.model_name != "interaction":
        return Q(pk__in=[])
    through = model.participant_users.through
    return Q(pk__in=through.objects.filter(user_id=user.pk).values("interaction_id"))


def activity_scope(qs, user):
    from kesher.platform.registry import registry

    entity = registry.for_model(qs.model)
    if grants_for(user) is None:
        return qs if user.is_active else qs.none()
    if not grant(user, entity.key).view:
        return qs.none()
    by_owner = scope_queryset(qs, user)
    if not by_owner.query.where:
        return by_owner  # scope "all"
    return by_owner | qs.filter(_extra_q(qs.model, user))


def _extra_q(model, user) -> Q:
    """What the user takes part in or may see through its link: built once per user object and
    model (a page asks for several scoped querysets; the grants are cached the same way)."""
    cache = user.__dict__.setdefault("_activity_scope_q", {})
    if model not in cache:
        cache[model] = _taking_part(model, user) | linked_visible_q(user)
    return cache[model]

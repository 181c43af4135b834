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

from .links import linked_visible_q

__all__ = ["activity_scope"]


def _taking_part(model, user) -> Q:
    if model._meta.model_name == "task":
        return Q(created_by=user) | Q(delegated_by=user)
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
    extra = qs.filter(_taking_part(qs.model, user) | linked_visible_q(user))
    return by_owner | extra

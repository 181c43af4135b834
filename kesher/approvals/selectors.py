"""Reads of approvals, scoped to the reader: a request is seen by whoever sees its record (and
by its requester); a step is decided only by its approver, who must see the record too."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from kesher.approvals.models import ApprovalDecision, ApprovalProcess, ApprovalRequest
from kesher.platform.access import can, is_admin
from kesher.platform.records.links import linkable_keys, linked_visible_q
from kesher.platform.registry import registry

__all__ = [
    "can_see_record",
    "decidable_step",
    "processes_for",
    "record_requests",
    "request_list",
    "role_deciders",
    "waiting_count",
    "waiting_for",
]

ROLE_DECIDERS_MAX = 200


def can_see_record(user, key: str, pk) -> bool:
    if user is None or key not in linkable_keys() or not can(user, key, "view"):
        return False
    return registry.get(key).model.objects.visible_to(user).filter(pk=pk).exists()


def role_deciders(role, key: str, pk, limit: int = ROLE_DECIDERS_MAX, requester=None) -> list:
    """Active members of ``role`` who may see the record, so may decide a step of the role
    (the requester, who may be one of them, does not sign off his own request)."""
    from kesher.org.models import User

    members = User.objects.filter(role=role, is_active=True).select_related("role")
    if requester is not None:
        members = members.exclude(pk=requester.pk)
    found = []
    for member in members[:ROLE_DECIDERS_MAX]:
        if can_see_record(member, key, pk):
            found.append(member)
            if len(found) >= limit:
                break
    return found


def _decisions() -> Prefetch:
    return Prefetch(
        "decisions",
        queryset=ApprovalDecision.objects.select_related("approver", "role", "decided_by"),
    )


def _with_details(qs: QuerySet) -> QuerySet:
    return qs.select_related("process", "requester", "finished_by").prefetch_related(_decisions())


def request_list(user) -> QuerySet:
    """Requests ``user`` may see: those about records he sees, and his own."""
    qs = ApprovalRequest.objects.all()
    if not is_admin(user):
        qs = qs.filter(linked_visible_q(user) | Q(requester=user))
    return _with_details(qs)


def _mine(user) -> Q:
    """Steps ``user`` decides: his own, and his role's on requests he did not make."""
    mine = Q(approver=user)
    if user.role_id:
        mine |= Q(role_id=user.role_id) & ~Q(request__requester=user)
    return mine


def waiting_for(user) -> QuerySet:
    """Pending requests with a step waiting now for ``user``'s decision, oldest first."""
    steps = ApprovalDecision.objects.filter(_mine(user), request=OuterRef("pk"), active=True)
    return _with_details(
        ApprovalRequest.objects.filter(Exists(steps), linked_visible_q(user), status="pending")
    ).order_by("created_at", "id")


def waiting_count(user) -> int:
    """How many requests wait for ``user`` (the menu's badge, on every page): none asked while
    no approval process exists; one query when nothing waits for him (the usual page); else a
    second, that keeps the requests about records he may see — checked only for the kinds of
    record waiting (every linkable entity's scope cost ~12 ms a page)."""
    from kesher.approvals.lock import entities_with_processes

    if not getattr(user, "is_authenticated", False) or not entities_with_processes():
        return 0
    steps = ApprovalDecision.objects.filter(_mine(user), request=OuterRef("pk"), active=True)
    waiting = ApprovalRequest.objects.filter(Exists(steps), status="pending")
    kinds = set(waiting.order_by().values_list("link_type", flat=True).distinct())
    if not kinds:
        return 0
    return waiting.filter(linked_visible_q(user, keys=kinds)).count()


def decidable_step(request: ApprovalRequest, user) -> ApprovalDecision | None:
    """The first step of ``request`` waiting now that ``user`` may decide, or None."""
    if user is None or not user.is_active:
        return None
    step = (
        request.decisions.filter(_mine(user), active=True, decision="").order_by("position").first()
    )
    if step is None or not can_see_record(user, request.link_type, request.link_id):
        return None
    return step


def processes_for(key: str) -> QuerySet:
    """Active processes a record of entity ``key`` may be sent through."""
    return ApprovalProcess.objects.filter(entity=key, active=True).order_by("name_he", "id")


def record_requests(key: str, pk, limit: int = 5) -> list[ApprovalRequest]:
    """The record's latest requests, newest first (its page shows them in a banner)."""
    return list(
        _with_details(ApprovalRequest.objects.filter(link_type=key, link_id=pk)).order_by(
            "-created_at", "-id"
        )[:limit]
    )

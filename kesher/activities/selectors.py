"""Reads of activities, each scoped through ``visible_to`` (STYLE.md "selectors")."""

from __future__ import annotations

from kesher.org.models import User

from .models import Interaction, Notification, Task

__all__ = [
    "TASK_TABS",
    "notifications_of",
    "record_interactions",
    "record_tasks",
    "task_list",
    "unread_count",
]

TASK_TABS = ("mine", "team", "delegated")


def task_list(user, tab: str = "mine", include_closed: bool = False):
    """Tasks of one tab: "mine" (assigned to me), "team" (assigned to anyone in my department
    subtree), "delegated" (handed by me to others; REQ TK-3)."""
    qs = Task.objects.visible_to(user).select_related(
        "status", "priority", "task_type", "assignee", "delegated_by"
    )
    if tab == "team":
        if user.department_id:
            members = User.objects.filter(department__path__startswith=user.department.path).values(
                "pk"
            )
            qs = qs.filter(assignee__in=members)
        else:
            qs = qs.filter(assignee=user)
    elif tab == "delegated":
        qs = qs.filter(delegated_by=user).exclude(assignee=user)
    else:
        qs = qs.filter(assignee=user)
    if not include_closed:
        qs = qs.filter(is_open=True)
    return qs.order_by("due_at", "id")


def record_tasks(record_key: str, record_pk: int, user, limit: int = 10) -> list:
    """Open tasks of one record, for its page's panel."""
    return list(
        Task.objects.visible_to(user)
        .filter(link_type=record_key, link_id=record_pk, is_open=True)
        .select_related("status", "priority", "assignee")
        .order_by("due_at", "id")[:limit]
    )


def record_interactions(record_key: str, record_pk: int, user, limit: int = 10) -> list:
    """Recent interactions of one record, for its page's panel."""
    return list(
        Interaction.objects.visible_to(user)
        .filter(link_type=record_key, link_id=record_pk)
        .select_related("kind", "outcome", "owner")
        .order_by("-occurred_at", "-id")[:limit]
    )


def notifications_of(user):
    return Notification.objects.filter(user=user).order_by("-created_at", "-id")


def unread_count(user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()

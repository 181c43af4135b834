"""The activities' entries on a record's timeline: its interactions and tasks (issue 4 item 6),
merged with the audit entries by ``kesher.platform.records.timeline``. The timeline's filter
offers "tasks" and each kind of interaction (REQ CU-7: the history by kind)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from kesher.activities.models import Interaction, Task
from kesher.platform.access import can
from kesher.platform.models import Choice
from kesher.platform.records.links import linkable_keys
from kesher.platform.records.timeline import TimelineItem, register_source
from kesher.platform.registry import registry
from kesher.platform.ui.display import format_when

# Per source on the record page, merged with the changes; the timeline filtered by one kind
# shows up to KIND_LIMIT (issue 4 item 6; bench/results/activities-*.md).
LIMIT = 20
KIND_LIMIT = 50
TASKS = "tasks"


def _key(record) -> str | None:
    if not registry.has_model(record):
        return None
    key = registry.for_model(record).key
    return key if key in linkable_keys() else None


def interaction_kinds(user, entity) -> list[tuple[str, str]]:
    """The filter's choice of each active kind of interaction (call, meeting, email…), on the
    pages of records interactions may be about."""
    if not entity.linkable or not can(user, "interactions", "view"):
        return []
    rows = Choice.objects.filter(list_key="interaction_kind", active=True).order_by("order", "pk")
    return [(c.value, str(c)) for c in rows]


def task_kinds(user, entity) -> list[tuple[str, str]]:
    return [(TASKS, _("Tasks"))] if entity.linkable and can(user, "tasks", "view") else []


@register_source(kinds=interaction_kinds)
def interactions_of(record, user, kind: str = ""):
    key = _key(record)
    if key is None or kind == TASKS or not can(user, "interactions", "view"):
        return []
    if kind:
        return interaction_items(record, user, key, kind=kind, limit=KIND_LIMIT)
    return interaction_items(record, user, key)


def interaction_items(
    record, user, key: str, kind: str = "", limit: int = LIMIT
) -> list[TimelineItem]:
    """The record's latest interactions the user may see (of one kind's value if given)."""
    rows = Interaction.objects.visible_to(user).filter(link_type=key, link_id=record.pk)
    if kind:
        rows = rows.filter(kind__value=kind)
    rows = rows.select_related("kind", "outcome", "owner").order_by("-occurred_at", "-id")[:limit]
    items = []
    for row in rows:
        details = {_("Subject"): [None, row.subject]}
        if row.direction:
            details[_("Direction")] = [None, row.get_direction_display()]
        if row.outcome_id:
            details[_("Outcome")] = [None, str(row.outcome)]
        items.append(
            TimelineItem(
                at=row.occurred_at,
                actor=row.owner,
                title=str(row.kind),
                action="interaction",
                changes=details,
                url=reverse("entity_detail", args=["interactions", row.pk]),
            )
        )
    return items


@register_source(kinds=task_kinds)
def tasks_of(record, user, kind: str = ""):
    key = _key(record)
    if key is None or kind not in ("", TASKS) or not can(user, "tasks", "view"):
        return []
    return task_items(record, user, key, KIND_LIMIT if kind else LIMIT)


def task_items(record, user, key: str, limit: int = LIMIT) -> list[TimelineItem]:
    """The record's latest tasks the user may see."""
    rows = (
        Task.objects.visible_to(user)
        .filter(link_type=key, link_id=record.pk)
        .select_related("status", "assignee")
        .order_by("-created_at", "-id")[:limit]
    )
    items = []
    for row in rows:
        details = {_("Task"): [None, row.title], _("Status"): [None, str(row.status)]}
        if row.due_at:
            details[_("Due")] = [None, format_when(row.due_at)]
        items.append(
            TimelineItem(
                at=row.closed_at or row.created_at,
                actor=row.assignee,
                title=_("Task"),
                action="task",
                changes=details,
                url=reverse("entity_detail", args=["tasks", row.pk]),
            )
        )
    return items

"""Activities' entities in the platform registry: interactions and tasks get list, detail,
forms, API, search and export from the platform (REQ CU-3, TK-1)."""

from django.utils.translation import gettext_lazy as _

from kesher.platform.registry import Entity, Section, register

from . import services
from .models import Interaction, Task

interactions = register(
    Entity(
        key="interactions",
        model=Interaction,
        label=_("interaction"),
        label_plural=_("Interactions"),
        icon="☎",
        nav_order=40,
        list_columns=("occurred_at", "kind", "direction", "subject", "outcome", "owner"),
        form_fields=(
            "kind",
            "direction",
            "subject",
            "body",
            "occurred_at",
            "duration_minutes",
            "outcome",
            "link_type",
            "link_id",
            "participant_users",
            "participant_contacts",
            "owner",
        ),
        sections=(
            Section(
                _("Interaction"),
                ("kind", "direction", "subject", "occurred_at", "duration_minutes", "outcome"),
            ),
            Section(
                _("Who and what about"),
                ("owner", "participant_users", "participant_contacts", "link_type", "link_id"),
            ),
            Section(_("Details"), ("body",)),
        ),
        search_words=("subject",),
        filter_fields=("kind", "direction", "outcome", "owner", "link_type", "link_id"),
        ordering_fields=("occurred_at", "created_at", "id"),
        default_ordering=("-occurred_at", "-id"),
        select_related=("kind", "outcome", "owner"),
        owner_field="owner",
        choice_lists={"kind": "interaction_kind", "outcome": "interaction_outcome"},
        create_service=services.interaction_create,
        update_service=services.interaction_update,
        api_example={
            "kind": 1,
            "direction": "out",
            "subject": "שיחת מעקב על הצעת המחיר",
            "occurred_at": "2026-09-10T10:30:00+03:00",
            "duration_minutes": 12,
            "link_type": "accounts",
            "link_id": 12,
        },
    )
)

tasks = register(
    Entity(
        key="tasks",
        model=Task,
        label=_("task"),
        label_plural=_("Tasks"),
        icon="✔",
        nav_order=50,
        list_columns=("title", "status", "priority", "due_at", "sla_due_at", "assignee"),
        form_fields=(
            "title",
            "task_type",
            "priority",
            "status",
            "due_at",
            "reminder_at",
            "assignee",
            "parent",
            "close_with_subtasks",
            "recurrence",
            "link_type",
            "link_id",
            "notes",
        ),
        sections=(
            Section(
                _("Task"),
                ("title", "task_type", "priority", "status", "assignee", "parent", "recurrence"),
            ),
            Section(
                _("Times"),
                ("due_at", "reminder_at", "sla_due_at", "closed_at", "close_with_subtasks"),
            ),
            Section(_("People and record"), ("created_by", "delegated_by", "link_type", "link_id")),
            Section(_("Notes"), ("notes",)),
        ),
        search_words=("title",),
        filter_fields=(
            "status",
            "priority",
            "task_type",
            "assignee",
            "delegated_by",
            "is_open",
            "parent",
            "link_type",
            "link_id",
        ),
        ordering_fields=("due_at", "sla_due_at", "created_at", "id"),
        default_ordering=("due_at", "id"),
        select_related=("status", "priority", "task_type", "assignee"),
        owner_field="assignee",
        status_field="status",
        choice_lists={
            "status": "task_status",
            "priority": "task_priority",
            "task_type": "task_type",
        },
        create_service=services.task_create,
        update_service=services.task_update,
        api_example={
            "title": "להתקשר בחזרה ללקוח",
            "task_type": 5,
            "due_at": "2026-09-14T12:00:00+03:00",
            "reminder_at": "2026-09-14T09:00:00+03:00",
            "assignee": 3,
            "link_type": "accounts",
            "link_id": 12,
        },
    )
)

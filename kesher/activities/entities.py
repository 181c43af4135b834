"""Activities' entities in the platform registry: interactions and tasks get list, detail,
forms, API, search and export from the platform (REQ CU-3, TK-1)."""

from django.utils.translation import gettext_lazy as _

from kesher.activities import services, task_templates
from kesher.activities.models import (
    AlertRule,
    BusinessCalendar,
    Interaction,
    ManualAlert,
    Task,
    TaskTemplate,
)
from kesher.platform.customfields.picklists import Setting, declare_settings
from kesher.platform.registry import Entity, Section, register

interactions = register(
    Entity(
        key="interactions",
        large=True,
        model=Interaction,
        # Reports show the time spent as hours (decision 0116).
        durations={"duration_minutes": "minutes"},
        label=_("interaction"),
        label_plural=_("Interactions"),
        icon="☎",
        nav_order=40,
        list_columns=("occurred_at", "kind", "direction", "subject", "outcome", "owner"),
        form_fields=(
            "kind",
            "direction",
            "subject",
            "link_type",
            "link_id",
            "body",
            "occurred_at",
            "duration_minutes",
            "outcome",
            "participant_users",
            "participant_contacts",
            "owner",
        ),
        sections=(
            Section(
                _("Interaction"),
                ("kind", "direction", "subject", "occurred_at", "duration_minutes", "outcome"),
            ),
            # The record it is about is named above the fields, only to whoever may see it
            # (activities/banners/interactions.html), never as a kind and a number.
            Section(_("Who"), ("owner", "participant_users", "participant_contacts")),
            Section(_("Details"), ("body",)),
        ),
        search_words=("subject",),
        filter_fields=("kind", "direction", "outcome", "owner", "link_type", "link_id"),
        ordering_fields=("occurred_at", "created_at", "id"),
        default_ordering=("-occurred_at", "-id"),
        select_related=("kind", "outcome", "owner"),
        owner_field="owner",
        choice_lists={"kind": "interaction_kind", "outcome": "interaction_outcome"},
        headline_fields=("kind", "occurred_at", "owner", "outcome"),
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
        large=True,
        model=Task,
        label=_("task"),
        label_plural=_("Tasks"),
        icon="✔",
        nav_order=50,
        list_columns=("title", "status", "priority", "due_at", "sla_due_at", "assignee"),
        form_fields=(
            "title",
            "link_type",
            "link_id",
            "task_type",
            "priority",
            "status",
            "due_at",
            "reminder_at",
            "assignee",
            "parent",
            "close_with_subtasks",
            "recurrence",
            "notes",
        ),
        sections=(
            # The record it is about and the parent task are named above the fields, only to
            # whoever may see them; sub-tasks are listed below (activities/banners/tasks.html,
            # activities/panels/tasks.html).
            Section(
                _("Task"), ("title", "task_type", "priority", "status", "assignee", "recurrence")
            ),
            Section(
                _("Times"),
                ("due_at", "reminder_at", "sla_due_at", "closed_at", "close_with_subtasks"),
            ),
            Section(_("People"), ("created_by", "delegated_by")),
            Section(_("Notes"), ("notes",)),
        ),
        search_words=("title",),
        headline_fields=("status", "priority", "due_at", "assignee"),
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
        # Mirrors the status: the status's change says it (and events still carry it).
        audit_exclude=("is_open",),
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

alert_rules = register(
    Entity(
        key="alert-rules",
        model=AlertRule,
        label=_("alert rule"),
        label_plural=_("Alert rules"),
        icon="⚠",
        nav_order=960,
        list_columns=("name", "entity", "level", "message", "active"),
        form_fields=("name", "entity", "condition", "message", "level", "active"),
        sections=(
            Section(_("Alert rule"), ("name", "entity", "level", "active")),
            Section(_("When and what"), ("condition", "message")),
        ),
        search_words=("name", "message"),
        filter_fields=("entity", "level", "active"),
        ordering_fields=("name", "created_at", "id"),
        default_ordering=("name", "id"),
        owner_field=None,
        create_service=services.alert_rule_create,
        update_service=services.alert_rule_update,
        api_example={
            "name": "לקוח VIP",
            "entity": "accounts",
            "condition": {"field": "status", "op": "eq", "value": "vip"},
            "message": "לקוח VIP: לטפל בעדיפות",
            "level": "warning",
            "active": True,
        },
    )
)

manual_alerts = register(
    Entity(
        key="manual-alerts",
        importable=False,
        model=ManualAlert,
        label=_("manual alert"),
        label_plural=_("Manual alerts"),
        icon="⚑",
        nav_order=970,
        in_navigation=False,
        list_columns=("message", "level", "expires_at", "link_type", "link_id", "owner"),
        form_fields=("message", "level", "expires_at", "link_type", "link_id", "owner"),
        sections=(
            Section(_("Alert"), ("message", "level", "expires_at")),
            Section(_("Who and what about"), ("owner", "link_type", "link_id")),
        ),
        search_words=("message",),
        filter_fields=("level", "link_type", "link_id", "owner"),
        ordering_fields=("expires_at", "created_at", "id"),
        default_ordering=("expires_at", "id"),
        select_related=("owner",),
        owner_field="owner",
        create_service=services.manual_alert_create,
        update_service=services.manual_alert_update,
        api_example={
            "message": "הלקוח ביקש לא להתקשר לפני 10:00",
            "level": "info",
            "expires_at": "2026-12-31T18:00:00+02:00",
            "link_type": "accounts",
            "link_id": 12,
        },
    )
)

task_template_entity = register(
    Entity(
        key="task-templates",
        model=TaskTemplate,
        label=_("task template"),
        label_plural=_("Task templates"),
        icon="✎",
        nav_order=965,
        list_columns=("name", "task_type", "assignee_rule", "due_offset", "due_unit"),
        form_fields=(
            "name",
            "task_type",
            "title",
            "notes",
            "priority",
            "due_offset",
            "due_unit",
            "due_business",
            "assignee_rule",
            "assignee_role",
            "assignee_user",
            "assignee_department",
        ),
        sections=(
            Section(_("Task"), ("name", "task_type", "title", "notes", "priority")),
            Section(_("Due"), ("due_offset", "due_unit", "due_business")),
            Section(
                _("Assign to"),
                ("assignee_rule", "assignee_role", "assignee_user", "assignee_department"),
            ),
        ),
        search_words=("name", "title"),
        filter_fields=("task_type", "assignee_rule"),
        ordering_fields=("name", "created_at", "id"),
        default_ordering=("name", "id"),
        select_related=("task_type", "priority"),
        owner_field=None,
        choice_lists={"task_type": "task_type", "priority": "task_priority"},
        create_service=task_templates.task_template_create,
        update_service=task_templates.task_template_update,
        api_example={
            "name": "שיחת היכרות ללקוח VIP",
            "task_type": 5,
            "title": "להתקשר אל {{name}}",
            "priority": 3,
            "due_offset": 4,
            "due_unit": "hours",
            "due_business": True,
            "assignee_rule": "owner",
        },
    )
)

business_calendars = register(
    Entity(
        key="business-calendars",
        model=BusinessCalendar,
        label=_("business calendar"),
        label_plural=_("Business calendars"),
        icon="◷",
        nav_order=968,
        list_columns=("name", "company", "day_start", "day_end", "friday", "holidays"),
        form_fields=(
            "name",
            "company",
            "day_start",
            "day_end",
            "friday",
            "friday_end",
            "holidays",
            "eve_short",
            "eve_end",
            "time_zone",
        ),
        sections=(
            Section(_("Whose"), ("name", "company", "time_zone")),
            Section(_("Working week"), ("day_start", "day_end", "friday", "friday_end")),
            Section(_("Holidays"), ("holidays", "eve_short", "eve_end")),
        ),
        filter_fields=("company", "friday", "holidays"),
        ordering_fields=("id",),
        default_ordering=("id",),
        select_related=("company",),
        owner_field=None,
        api_example={
            "name": "מכירות, כולל שישי",
            "company": 2,
            "day_start": "08:00",
            "day_end": "17:00",
            "friday": True,
            "friday_end": "12:00",
            "holidays": True,
            "eve_short": True,
            "eve_end": "13:00",
            "time_zone": "Asia/Jerusalem",
        },
    )
)


# --- the settings of activities' pick-lists (Choice.extra), edited on the pick-list pages ---------

declare_settings(
    "task_type",
    Setting(
        "sla_hours",
        "integer",
        _("SLA hours"),
        help_text=_(
            "The standard time for a task of this type, in business hours from its creation; "
            "empty: no SLA."
        ),
        min_value=1,
        max_value=10_000,
    ),
)


def _status_rules(settings: dict) -> dict:
    if settings.get("done") and not settings.get("closed"):
        return {"closed": _("A status that counts as done also closes the task.")}
    return {}


declare_settings(
    "task_status",
    Setting(
        "closed",
        "boolean",
        _("Closes the task"),
        help_text=_("A task in this status is no longer open: no reminders, no SLA alerts."),
    ),
    Setting(
        "done",
        "boolean",
        _("Counts as done"),
        help_text=_("The task was carried out, not cancelled (as its delegator is told)."),
    ),
    check=_status_rules,
)

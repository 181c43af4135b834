"""Projects and time in the platform registry: projects, their team members, time entries and
monthly target hours get list, detail, forms, API, search, import, export and automation from
these registrations (REQ PR-1, PR-2, PR-5, SV-6)."""

from django.utils.translation import gettext_lazy as _

from kesher.platform.registry import Entity, ListedOn, Related, Section, register
from kesher.projects import services
from kesher.projects.models import Project, ProjectMember, TimeEntry, WorkTarget

projects = register(
    Entity(
        key="projects",
        model=Project,
        large=True,
        # Tasks, interactions and meetings are about a project (REQ PR-5).
        linkable=True,
        label=_("project"),
        label_plural=_("Projects"),
        icon="▦",
        nav_order=40,
        list_columns=("code", "name", "account", "stage", "owner", "start_date", "end_date"),
        form_fields=(
            "name",
            "code",
            "account",
            "opportunity",
            "parent",
            "stage",
            "billing_mode",
            "owner",
            "start_date",
            "end_date",
            "budget_hours",
            "budget_amount",
            "description",
        ),
        sections=(
            Section(_("Project"), ("name", "code", "account", "opportunity", "parent", "stage")),
            Section(_("Management"), ("owner", "start_date", "end_date", "billing_mode")),
            Section(_("Budget"), ("budget_hours", "budget_amount")),
            Section(_("Description"), ("description",)),
        ),
        headline_fields=("stage", "owner", "account", "end_date"),
        related=(
            Related(_("Sub-projects"), "projects", "parent", ("code", "name", "stage", "owner")),
            # The tickets of the project (REQ SV-6).
            Related(_("Tickets"), "tickets", "project", ("number", "subject", "status", "handler")),
        ),
        listed_on=(
            ListedOn("accounts", "account", _("Projects"), ("code", "name", "stage", "owner")),
            ListedOn("opportunities", "opportunity", _("Projects"), ("code", "name", "stage")),
        ),
        search_words=("name", "code"),
        filter_fields=("stage", "owner", "account", "billing_mode", "parent", "end_date"),
        ordering_fields=("name", "code", "start_date", "end_date", "created_at", "id"),
        default_ordering=("name", "id"),
        select_related=("stage", "owner", "account"),
        status_field="stage",
        choice_lists={"stage": "project_stage", "billing_mode": "project_billing_mode"},
        natural_keys=("code",),
        lookup_keys=("code", "name"),
        delete_service=services.project_delete,
        api_example={
            "name": "הטמעת מערכת ניהול מלאי",
            "code": "P-1024",
            "account": 12,
            "opportunity": 31,
            "start_date": "2026-01-04",
            "end_date": "2026-03-31",
            "budget_hours": "240.00",
            "budget_amount": "84000.00",
        },
    )
)

project_members = register(
    Entity(
        key="project-members",
        model=ProjectMember,
        label=_("project team member"),
        label_plural=_("Project team members"),
        icon="☺",
        nav_order=41,
        list_columns=("project", "user", "role"),
        form_fields=("project", "user", "role", "notes"),
        sections=(Section(_("Team member"), ("project", "user", "role", "notes")),),
        listed_on=(ListedOn("projects", "project", _("Team"), ("user", "role", "notes")),),
        filter_fields=("project", "user", "role"),
        ordering_fields=("id",),
        default_ordering=("project", "id"),
        select_related=("project", "user", "role"),
        owner_field=None,
        # A membership is seen with its project.
        scope_via=("project",),
        choice_lists={"role": "project_role"},
        custom_fields=False,
        api_example={"project": 7, "user": 4, "role": 91},
    )
)

time_entries = register(
    Entity(
        key="time-entries",
        model=TimeEntry,
        label=_("time entry"),
        label_plural=_("Time entries"),
        icon="⏲",
        nav_order=42,
        list_columns=("date", "user", "project", "minutes", "billable", "state", "description"),
        form_fields=(
            "date",
            "project",
            "task",
            "ticket",
            "minutes",
            "billable",
            "description",
        ),
        sections=(
            Section(_("Time"), ("date", "user", "project", "task", "ticket")),
            Section(_("Hours"), ("minutes", "billable", "description")),
            Section(_("Approval"), ("state", "approved_by", "approved_at")),
        ),
        headline_fields=("state", "user", "date", "minutes"),
        listed_on=(
            ListedOn(
                "projects",
                "project",
                _("Time entries"),
                ("date", "user", "minutes", "billable", "state"),
            ),
            ListedOn("tickets", "ticket", _("Time entries"), ("date", "user", "minutes", "state")),
        ),
        search_words=("description",),
        filter_fields=("user", "project", "state", "billable", "date"),
        ordering_fields=("date", "created_at", "id"),
        default_ordering=("-date", "-id"),
        select_related=("user", "project"),
        # The employee is whoever reports: hours are never written in another's name through
        # the pages, the API or an import (the timesheet and services.time_entry_create).
        owner_field="user",
        status_field="state",
        audit_exclude=("approved_at",),
        create_service=services.time_entry_create,
        update_service=services.time_entry_update,
        api_example={
            "date": "2026-01-05",
            "project": 7,
            "minutes": 150,
            "billable": True,
            "description": "אפיון מסכי קליטת סחורה עם מנהל המחסן",
        },
    )
)

work_targets = register(
    Entity(
        key="work-targets",
        model=WorkTarget,
        label=_("monthly target hours"),
        label_plural=_("Monthly target hours"),
        icon="◔",
        nav_order=985,
        list_columns=("user", "valid_from", "monthly_hours"),
        form_fields=("user", "valid_from", "monthly_hours", "notes"),
        sections=(Section(_("Target"), ("user", "valid_from", "monthly_hours", "notes")),),
        filter_fields=("user", "valid_from"),
        ordering_fields=("valid_from", "id"),
        default_ordering=("user", "-valid_from", "id"),
        select_related=("user",),
        owner_field="user",
        custom_fields=False,
        api_example={"user": 4, "valid_from": "2026-01-01", "monthly_hours": "182.00"},
    )
)

"""Projects and time in the platform registry: projects, their team members, time entries and
monthly target hours get list, detail, forms, API, search, import, export and automation from
these registrations (REQ PR-1, PR-2, PR-5, SV-6)."""

from django.utils.translation import gettext_lazy as _

from kesher.platform.registry import Entity, ListedOn, Related, Section, register
from kesher.projects import services
from kesher.projects.models import (
    Absence,
    Allocation,
    CostRate,
    PayrollRule,
    Project,
    ProjectMember,
    ProjectTemplate,
    RateCard,
    TimeEntry,
    WorkTarget,
)

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
        # Reports show the minutes as hours (7:30), export and chart them in hours (0116).
        durations={"minutes": "minutes"},
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

rate_cards = register(
    Entity(
        key="rate-cards",
        model=RateCard,
        label=_("rate card"),
        label_plural=_("Rate cards"),
        icon="₪",
        nav_order=986,
        list_columns=("name", "role", "user", "account", "valid_from", "valid_to", "hourly_rate"),
        form_fields=("name", "role", "user", "account", "valid_from", "valid_to", "hourly_rate"),
        sections=(
            Section(_("Rate card"), ("name", "hourly_rate", "valid_from", "valid_to")),
            Section(_("Applies to"), ("role", "user", "account")),
        ),
        search_words=("name",),
        filter_fields=("role", "user", "account", "valid_from"),
        ordering_fields=("name", "valid_from", "id"),
        default_ordering=("name", "id"),
        select_related=("role", "user", "account"),
        owner_field=None,
        choice_lists={"role": "project_role"},
        custom_fields=False,
        api_example={
            "name": "יועץ בכיר — לקוח VIP",
            "role": 91,
            "account": 12,
            "valid_from": "2026-01-01",
            "hourly_rate": "420.00",
        },
    )
)

cost_rates = register(
    Entity(
        key="cost-rates",
        model=CostRate,
        label=_("cost rate"),
        label_plural=_("Cost rates"),
        icon="₪",
        nav_order=986,
        list_columns=("user", "valid_from", "valid_to", "hourly_cost"),
        form_fields=("user", "valid_from", "valid_to", "hourly_cost", "notes"),
        sections=(
            Section(_("Cost rate"), ("user", "valid_from", "valid_to", "notes")),
            Section(_("Cost"), ("hourly_cost",)),
        ),
        search_words=("notes",),
        filter_fields=("user", "valid_from"),
        ordering_fields=("valid_from", "id"),
        default_ordering=("user", "-valid_from", "id"),
        select_related=("user",),
        owner_field=None,
        custom_fields=False,
        api_example={
            "user": 4,
            "valid_from": "2026-01-01",
            "hourly_cost": "145.00",
            "notes": "שכר ועלויות מעביד",
        },
    )
)

payroll_rules = register(
    Entity(
        key="payroll-rules",
        model=PayrollRule,
        label=_("payroll rule"),
        label_plural=_("Payroll rules"),
        icon="%",
        nav_order=987,
        list_columns=(
            "name",
            "valid_from",
            "daily_hours",
            "first_overtime_hours",
            "first_overtime_percent",
            "further_overtime_percent",
            "rest_day_percent",
            "weekly_hours",
        ),
        form_fields=(
            "name",
            "valid_from",
            "daily_hours",
            "first_overtime_hours",
            "first_overtime_percent",
            "further_overtime_percent",
            "rest_day_percent",
            "weekly_hours",
        ),
        sections=(
            Section(_("Payroll rule"), ("name", "valid_from")),
            Section(
                _("Overtime"),
                (
                    "daily_hours",
                    "weekly_hours",
                    "first_overtime_hours",
                    "first_overtime_percent",
                    "further_overtime_percent",
                    "rest_day_percent",
                ),
            ),
        ),
        search_words=("name",),
        filter_fields=("valid_from",),
        ordering_fields=("valid_from", "id"),
        default_ordering=("-valid_from", "id"),
        owner_field=None,
        custom_fields=False,
        api_example={
            "name": "שבוע עבודה של שישה ימים",
            "valid_from": "2026-01-01",
            "daily_hours": "8.00",
            "first_overtime_hours": "2.00",
            "first_overtime_percent": 125,
            "further_overtime_percent": 150,
            "rest_day_percent": 150,
            "weekly_hours": "42.00",
        },
    )
)

allocations = register(
    Entity(
        key="allocations",
        model=Allocation,
        label=_("allocation"),
        label_plural=_("Allocations"),
        icon="▤",
        nav_order=43,
        list_columns=("week", "user", "project", "hours", "notes"),
        form_fields=("project", "user", "week", "hours", "notes"),
        sections=(Section(_("Allocation"), ("project", "user", "week", "hours", "notes")),),
        listed_on=(ListedOn("projects", "project", _("Allocations"), ("week", "user", "hours")),),
        search_words=("notes",),
        filter_fields=("user", "project", "week"),
        ordering_fields=("week", "id"),
        default_ordering=("week", "id"),
        select_related=("user", "project"),
        owner_field="user",
        custom_fields=False,
        api_example={"project": 7, "user": 4, "week": "2026-01-04", "hours": "16.00"},
    )
)

project_templates = register(
    Entity(
        key="project-templates",
        model=ProjectTemplate,
        label=_("project template"),
        label_plural=_("Project templates"),
        icon="▤",
        nav_order=985,
        list_columns=("name", "stage", "billing_mode", "budget_hours"),
        form_fields=(
            "name",
            "phases",
            "task_templates",
            "stage",
            "billing_mode",
            "budget_hours",
            "description",
        ),
        sections=(
            Section(_("Project template"), ("name", "stage", "billing_mode", "budget_hours")),
            Section(_("Phases and tasks"), ("phases", "task_templates")),
            Section(_("Description"), ("description",)),
        ),
        search_words=("name",),
        filter_fields=("stage", "billing_mode"),
        ordering_fields=("name", "id"),
        default_ordering=("name", "id"),
        select_related=("stage", "billing_mode"),
        owner_field=None,
        choice_lists={"stage": "project_stage", "billing_mode": "project_billing_mode"},
        custom_fields=False,
        api_example={
            "name": "הטמעת מערכת",
            "phases": "אפיון\nהטמעה\nהדרכה",
            "task_templates": [4],
            "billing_mode": 112,
            "budget_hours": "120.00",
        },
    )
)

absences = register(
    Entity(
        key="absences",
        model=Absence,
        label=_("absence"),
        label_plural=_("Absences"),
        icon="☂",
        nav_order=44,
        list_columns=("user", "kind", "start_date", "end_date", "half_day", "notes"),
        form_fields=("user", "kind", "start_date", "end_date", "half_day", "notes"),
        sections=(
            Section(_("Absence"), ("user", "kind", "start_date", "end_date", "half_day")),
            Section(_("Notes"), ("notes",)),
        ),
        headline_fields=("kind", "user", "start_date", "end_date"),
        search_words=("notes",),
        filter_fields=("user", "kind", "start_date", "end_date"),
        ordering_fields=("start_date", "end_date", "id"),
        default_ordering=("-start_date", "id"),
        select_related=("user", "kind"),
        # A person sees and records his own; his team's manager theirs; HR and the
        # administrator all (grants in projects 0013; decision 0122).
        owner_field="user",
        choice_lists={"kind": "absence_kind"},
        create_service=services.absence_create,
        update_service=services.absence_update,
        custom_fields=False,
        api_example={
            "user": 4,
            "kind": 131,
            "start_date": "2026-02-08",
            "end_date": "2026-02-12",
            "half_day": False,
            "notes": "מילואים — צו 8",
        },
    )
)

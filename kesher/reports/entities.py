"""Reports and dashboards in the platform registry: list, detail, forms, API, search, audit and
versions come from the platform; the builder, the result and the dashboard pages are this
app's (REQ CX-8; decision 0071)."""

from django.utils.translation import gettext_lazy as _

from kesher.platform.registry import Entity, Section, register
from kesher.reports import delivery, services
from kesher.reports.models import Dashboard, Report, ReportSchedule

reports = register(
    Entity(
        key="reports",
        model=Report,
        label=_("report"),
        label_plural=_("Reports"),
        icon="📊",
        nav_order=90,
        list_columns=("name", "entity", "owner", "updated_at"),
        form_fields=(
            "name",
            "description",
            "entity",
            "definition",
            "owner",
            "shared_roles",
            "shared_users",
        ),
        sections=(
            Section(_("Report"), ("name", "description", "entity", "owner")),
            Section(_("Definition"), ("definition",)),
            Section(_("Shared with"), ("shared_roles", "shared_users")),
        ),
        search_words=("name", "description"),
        filter_fields=("entity", "owner"),
        ordering_fields=("name", "updated_at", "id"),
        default_ordering=("name", "id"),
        select_related=("owner",),
        shared_via=("shared_users", "shared_roles"),
        create_service=services.report_create,
        update_service=services.report_update,
        delete_service=services.report_delete,
        importable=False,
        custom_fields=False,
        natural_keys=("name",),
        api_example={
            "name": "הזדמנויות לפי שלב",
            "entity": "opportunities",
            "definition": {
                "entity": "opportunities",
                "group_by": [{"field": "stage"}],
                "measures": [{"agg": "count"}, {"agg": "sum", "field": "amount"}],
                "display": "chart",
                "chart": "bar",
            },
            "shared_roles": [],
            "shared_users": [],
        },
    )
)

dashboards = register(
    Entity(
        key="dashboards",
        model=Dashboard,
        label=_("dashboard"),
        label_plural=_("Dashboards"),
        icon="🧭",
        nav_order=91,
        list_columns=("name", "owner", "role", "updated_at"),
        form_fields=("name", "owner", "role", "widgets", "shared_roles", "shared_users"),
        sections=(
            Section(_("Dashboard"), ("name", "owner", "role")),
            Section(_("Widgets"), ("widgets",)),
            Section(_("Shared with"), ("shared_roles", "shared_users")),
        ),
        search_words=("name",),
        filter_fields=("owner", "role"),
        ordering_fields=("name", "updated_at", "id"),
        default_ordering=("name", "id"),
        select_related=("owner", "role"),
        shared_via=("shared_users", "shared_roles", "role"),
        create_service=services.dashboard_create,
        update_service=services.dashboard_update,
        delete_service=services.dashboard_delete,
        importable=False,
        custom_fields=False,
        natural_keys=("name",),
        api_example={"name": "המספרים שלי", "widgets": [{"report": 1, "width": 6}]},
    )
)

report_schedules = register(
    Entity(
        key="report-schedules",
        model=ReportSchedule,
        label=_("scheduled report"),
        label_plural=_("Scheduled reports"),
        icon="📧",
        nav_order=92,
        in_navigation=False,  # reached from a report's page and the reports menu
        list_columns=("report", "frequency", "formats", "active", "next_run_at", "owner"),
        form_fields=(
            "report",
            "recipients",
            "frequency",
            "weekday",
            "day_of_month",
            "hour",
            "formats",
            "note",
            "active",
            "owner",
        ),
        sections=(
            Section(_("Report"), ("report", "recipients", "formats", "note", "active", "owner")),
            Section(
                _("When"),
                ("frequency", "weekday", "day_of_month", "hour", "next_run_at", "last_run_at"),
            ),
        ),
        search_words=("note",),
        filter_fields=("report", "frequency", "active", "owner"),
        ordering_fields=("next_run_at", "id"),
        default_ordering=("next_run_at", "id"),
        select_related=("report", "owner"),
        create_service=delivery.schedule_create,
        update_service=delivery.schedule_update,
        delete_service=delivery.schedule_delete,
        importable=False,
        custom_fields=False,
        api_example={
            "report": 1,
            "recipients": [3, 7],
            "frequency": "weekly",
            "weekday": 6,
            "day_of_month": 1,
            "hour": 7,
            "formats": "pdf_xlsx",
            "note": "המספרים של השבוע, לישיבת ההנהלה.",
            "active": True,
        },
    )
)

"""The built-in roles' rights on reports and dashboards, the built-in reports (REQ RE-4, TK-7,
SV-9, SA-14) and a default dashboard for each built-in role — shipped as data: administrators
change or delete them like any report (decision 0071)."""

from django.db import migrations

from kesher.org.grants import apply_grants

GRANTS = {  # role key: {entity: (view, add, change, delete, scope)}
    role: {
        "reports": (True, role != "read_only", role != "read_only", role != "read_only", "own"),
        "dashboards": (True, role != "read_only", role != "read_only", role != "read_only", "own"),
    }
    for role in ("manager", "sales_rep", "support_agent", "read_only")
}

SALES = ("manager", "sales_rep", "read_only")
SERVICE = ("manager", "support_agent", "read_only")
EVERYONE = ("manager", "sales_rep", "support_agent", "read_only")
OPEN_DEALS = {"field": "stage.outcome", "op": "eq", "value": "open"}
WON_DEALS = {"field": "stage.outcome", "op": "eq", "value": "won"}
OPEN_TICKETS = {"field": "resolved_at", "op": "empty"}

# key: (name, description, roles, definition)
REPORTS = {
    "pipeline": (
        "צנרת מכירות לפי שלב",
        "Sales pipeline by stage: open opportunities and their amounts.",
        SALES,
        {
            "entity": "opportunities",
            "filter": OPEN_DEALS,
            "group_by": [{"field": "stage"}],
            "measures": [{"agg": "sum", "field": "amount"}, {"agg": "count"}],
            "display": "chart",
            "chart": "funnel",
        },
    ),
    "won_by_month": (
        "הכנסות מעסקאות שנסגרו לפי חודש ואיש מכירות",
        "Won revenue by month and owner.",
        SALES,
        {
            "entity": "opportunities",
            "filter": {"all": [WON_DEALS, {"field": "closed_at", "op": "within_last_days", "value": 365}]},
            "group_by": [{"field": "closed_at", "bucket": "month"}, {"field": "owner"}],
            "measures": [{"agg": "sum", "field": "amount"}],
            "display": "chart",
            "chart": "stacked_bar",
        },
    ),
    "won_this_month": (
        "הכנסות החודש",
        "Won revenue this month against last month (KPI).",
        SALES,
        {
            "entity": "opportunities",
            "filter": WON_DEALS,
            "measures": [{"agg": "sum", "field": "amount"}],
            "period": {"field": "closed_at", "period": "this_month"},
            "display": "chart",
            "chart": "kpi",
        },
    ),
    "tickets_status_priority": (
        "פניות לפי סטטוס ועדיפות",
        "Tickets by status and priority (pivot).",
        SERVICE,
        {
            "entity": "tickets",
            "group_by": [{"field": "status"}, {"field": "priority"}],
            "measures": [{"agg": "count"}],
            "display": "pivot",
            "chart": "stacked_bar",
        },
    ),
    "sla_breaches": (
        "פניות פתוחות שחרגו מה-SLA",
        "Open tickets whose SLA is due by today, by priority.",
        SERVICE,
        {
            "entity": "tickets",
            "filter": {
                "all": [OPEN_TICKETS, {"field": "sla_due_at", "op": "within_last_days", "value": 3650}]
            },
            "group_by": [{"field": "priority"}],
            "measures": [{"agg": "count"}],
            "display": "chart",
            "chart": "bar",
        },
    ),
    "tasks_by_owner": (
        "משימות לפי אחראי",
        "Tasks by assignee and status.",
        EVERYONE,
        {
            "entity": "tasks",
            "group_by": [{"field": "assignee"}, {"field": "status"}],
            "measures": [{"agg": "count"}],
            "display": "chart",
            "chart": "stacked_bar",
        },
    ),
}

# role: (Hebrew name, [(report key, width)])
DASHBOARDS = {
    "manager": (
        "לוח מנהל",
        [("won_this_month", 4), ("pipeline", 8), ("won_by_month", 12), ("tickets_status_priority", 6), ("tasks_by_owner", 6)],
    ),
    "sales_rep": ("לוח מכירות", [("won_this_month", 4), ("pipeline", 8), ("tasks_by_owner", 12)]),
    "support_agent": ("לוח שירות", [("sla_breaches", 6), ("tickets_status_priority", 6), ("tasks_by_owner", 12)]),
    "read_only": ("לוח מבט", [("pipeline", 6), ("tickets_status_priority", 6)]),
}


def create_defaults(apps, schema_editor):
    apply_grants(apps, GRANTS)
    Role = apps.get_model("org", "Role")
    Report = apps.get_model("reports", "Report")
    Dashboard = apps.get_model("reports", "Dashboard")
    roles = {r.key: r for r in Role.objects.all()}
    ids = {}
    for key, (name, description, role_keys, definition) in REPORTS.items():
        report = Report.objects.filter(name=name, owner=None).first()
        if report is None:
            report = Report.objects.create(
                name=name, description=description, entity=definition["entity"], definition=definition
            )
            report.shared_roles.set([roles[k] for k in role_keys if k in roles])
        ids[key] = report.pk
    for role_key, (name, widgets) in DASHBOARDS.items():
        role = roles.get(role_key)
        if role is None or Dashboard.objects.filter(role=role).exists():
            continue
        Dashboard.objects.create(
            name=name, role=role, widgets=[{"report": ids[k], "width": w} for k, w in widgets]
        )


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_initial"),
        ("org", "0002_default_roles"),
        ("sales", "0008_board_sums_from_the_index"),
        ("service", "0002_defaults"),
        ("activities", "0008_field_labels"),
    ]
    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]

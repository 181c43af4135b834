"""Built-in reports of the hours (REQ RE-1; issue 20 item 5; decision 0111): hours by customer,
budget against actual per project and the hours each person logged by month — report builder
definitions over the time entries, run as each reader (his figures are the hours he may see),
shared with the managers. The hours are the approved and billed entries' minutes. Data:
administrators change, share or delete them."""

from django.db import migrations

from kesher.reports.seeding import add_reports

APPROVED = {"field": "state", "op": "in", "value": ["approved", "billed"]}
LAST_YEAR = {"field": "date", "op": "within_last_days", "value": 365}
MINUTES = {"agg": "sum", "field": "minutes"}

# key: (name, description, definition); shared with the managers.
REPORTS = {
    "hours_by_customer": (
        "שעות לפי לקוח",
        "Hours by customer: the approved and billed minutes reported in the last year on each "
        "customer's projects, and how many entries, most first.",
        {
            "entity": "time-entries",
            "filter": {"all": [APPROVED, LAST_YEAR]},
            "group_by": [{"field": "project.account"}],
            "measures": [MINUTES, {"agg": "count"}],
            "sort": {"by": "m0", "desc": True},
            "display": "chart",
            "chart": "bar",
        },
    ),
    "budget_against_actual": (
        "תקציב מול ביצוע לפי פרויקט",
        "Budget against actual per project: the project's budget in hours beside the approved "
        "and billed minutes reported on it (60 minutes an hour).",
        {
            "entity": "time-entries",
            "filter": APPROVED,
            "group_by": [{"field": "project"}],
            "measures": [{"agg": "max", "field": "project.budget_hours"}, MINUTES],
            "display": "table",
            "chart": "bar",
        },
    ),
    "hours_by_person_and_month": (
        "שעות לפי עובד וחודש",
        "Hours each person logged by month in the last year: the approved and billed minutes, "
        "to set against the person's monthly target (utilisation).",
        {
            "entity": "time-entries",
            "filter": {"all": [APPROVED, LAST_YEAR]},
            "group_by": [{"field": "user"}, {"field": "date", "bucket": "month"}],
            "measures": [MINUTES],
            "display": "pivot",
            "chart": "stacked_bar",
        },
    ),
}


def create_reports(apps, schema_editor):
    add_reports(apps, REPORTS.values())


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0009_project_templates"),
        ("org", "0002_default_roles"),
        ("reports", "0006_finance_and_stock"),
    ]
    operations = [migrations.RunPython(create_reports, migrations.RunPython.noop)]

"""The managers' and sales reps' default dashboards show their sales targets against the
actuals (REQ RE-2, SA-7; decision 0099), first. Data: administrators move or remove it like
any widget."""

from django.db import migrations

ROLES = ("manager", "sales_rep")
WIDGET = {"kind": "targets", "width": 12}


def add_targets(apps, schema_editor):
    Dashboard = apps.get_model("reports", "Dashboard")
    for dashboard in Dashboard.objects.filter(role__key__in=ROLES):
        widgets = list(dashboard.widgets or [])
        if any(isinstance(w, dict) and w.get("kind") == "targets" for w in widgets):
            continue
        dashboard.widgets = [WIDGET, *widgets]
        dashboard.save(update_fields=["widgets"])


class Migration(migrations.Migration):
    dependencies = [("reports", "0003_schedules")]
    operations = [migrations.RunPython(add_targets, migrations.RunPython.noop)]

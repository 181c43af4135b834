"""Role grants for manual alerts (issue 4 item 6): people put alerts on the records they work
on, scoped like their interactions. Alert rules stay with administrators (no grant)."""

from django.db import migrations

from kesher.org.grants import apply_grants

GRANTS = {  # role key: {entity: (view, add, change, delete, scope)}
    "manager": {"manual-alerts": (True, True, True, True, "department")},
    "sales_rep": {"manual-alerts": (True, True, True, True, "own")},
    "support_agent": {"manual-alerts": (True, True, True, False, "all")},
    "read_only": {"manual-alerts": (True, False, False, False, "all")},
}


def create_grants(apps, schema_editor):
    apply_grants(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("activities", "0003_alerts_calendar_feed_callbacks"),
        ("org", "0002_default_roles"),
    ]
    operations = [migrations.RunPython(create_grants, migrations.RunPython.noop)]

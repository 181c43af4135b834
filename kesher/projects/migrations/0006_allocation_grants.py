"""Who plans and sees the allocations of the planning board: team managers plan their
department's people; employees see their own plan (REQ PR-3, OR-3)."""

from django.db import migrations

from kesher.org.grants import apply_grants

GRANTS = {  # role key: {entity: (view, add, change, delete, scope)}
    "manager": {"allocations": (True, True, True, True, "department")},
    "sales_rep": {"allocations": (True, False, False, False, "own")},
    "support_agent": {"allocations": (True, False, False, False, "own")},
}


def create_grants(apps, schema_editor):
    apply_grants(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [("projects", "0005_allocations"), ("org", "0002_default_roles")]
    operations = [migrations.RunPython(create_grants, migrations.RunPython.noop)]

"""Role grants for approval processes (REQ AU-3): administrators define them; everyone else may
read them, to choose one when asking for approval of a record (pages and the API)."""

from django.db import migrations

from kesher.org.grants import apply_grants

GRANTS = {  # role key: {entity: (view, add, change, delete, scope)}
    "manager": {"approval-processes": (True, False, False, False, "all")},
    "sales_rep": {"approval-processes": (True, False, False, False, "all")},
    "support_agent": {"approval-processes": (True, False, False, False, "all")},
    "read_only": {"approval-processes": (True, False, False, False, "all")},
}


def create_grants(apps, schema_editor):
    apply_grants(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0001_initial"),
        ("org", "0002_default_roles"),
    ]
    operations = [migrations.RunPython(create_grants, migrations.RunPython.noop)]

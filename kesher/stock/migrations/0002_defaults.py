"""The built-in roles' rights on warehouses; administrators change them as data afterwards
(REQ SA-11, OR-3; decision 0083). Moving stock in or out of a warehouse takes the right to
change warehouses, in the role's scope — or being the technician of the van."""

from django.db import migrations

from kesher.org.grants import apply_grants

GRANTS = {  # role key: {entity: (view, add, change, delete, scope)}
    "manager": {"warehouses": (True, True, True, True, "all")},
    # Sales sees what is in stock everywhere before promising a delivery.
    "sales_rep": {"warehouses": (True, False, False, False, "all")},
    # A support agent who is a field technician sees his own van (its technician is its owner).
    "support_agent": {"warehouses": (True, False, False, False, "own")},
    "read_only": {"warehouses": (True, False, False, False, "all")},
}


def create_defaults(apps, schema_editor):
    apply_grants(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [("stock", "0001_initial"), ("org", "0002_default_roles")]
    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]

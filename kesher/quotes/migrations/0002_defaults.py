"""The built-in roles' rights on quotes and orders, and the discount approval process a quote
above its author's discount limit goes through (REQ SA-9, SA-10, OR-3, AU-3); administrators
change both as data afterwards."""

from django.db import migrations

from kesher.org.grants import apply_grants

GRANTS = {  # role key: {entity: (view, add, change, delete, scope)}
    "manager": {
        "quotes": (True, True, True, True, "department"),
        "orders": (True, True, True, True, "department"),
    },
    "sales_rep": {
        "quotes": (True, True, True, False, "own"),
        "orders": (True, True, True, False, "own"),
    },
    "support_agent": {"orders": (True, False, False, False, "all")},
    "read_only": {
        "quotes": (True, False, False, False, "all"),
        "orders": (True, False, False, False, "all"),
    },
}


def create_defaults(apps, schema_editor):
    apply_grants(apps, GRANTS)
    ApprovalProcess = apps.get_model("approvals", "ApprovalProcess")
    if not ApprovalProcess.objects.filter(entity="quotes").exists():
        ApprovalProcess.objects.create(
            name_he="אישור הנחה בהצעת מחיר",
            name_en="Quote discount approval",
            entity="quotes",
            mode="ordered",
            steps=[{"approver": "role", "role": "manager"}],
            description="הנחה מעל המגבלה של מי שהכין את ההצעה / A discount above its author's limit",
        )


class Migration(migrations.Migration):
    dependencies = [
        ("quotes", "0001_initial"),
        ("org", "0002_default_roles"),
        ("approvals", "0003_processes_stamp"),
    ]
    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]

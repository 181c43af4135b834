"""Role grants for manual alerts (issue 4 item 6): people put alerts on the records they work
on, scoped like their interactions. Alert rules stay with administrators (no grant)."""

from django.db import migrations

GRANTS = {  # role key: {entity: (view, add, change, delete, scope)}
    "manager": {"manual-alerts": (True, True, True, True, "department")},
    "sales_rep": {"manual-alerts": (True, True, True, True, "own")},
    "support_agent": {"manual-alerts": (True, True, True, False, "all")},
    "read_only": {"manual-alerts": (True, False, False, False, "all")},
}


def create_grants(apps, schema_editor):
    Role = apps.get_model("org", "Role")
    RolePermission = apps.get_model("org", "RolePermission")
    for key, grants in GRANTS.items():
        role = Role.objects.filter(key=key).first()
        if role is None:
            continue
        for entity, (view, add, change, delete, scope) in grants.items():
            RolePermission.objects.get_or_create(
                role=role,
                entity=entity,
                defaults={
                    "can_view": view,
                    "can_add": add,
                    "can_change": change,
                    "can_delete": delete,
                    "scope": scope,
                },
            )


class Migration(migrations.Migration):
    dependencies = [
        ("activities", "0003_alerts_calendar_feed_callbacks"),
        ("org", "0002_default_roles"),
    ]
    operations = [migrations.RunPython(create_grants, migrations.RunPython.noop)]

"""The roles every new Kesher starts with; an administrator can change them all (REQ OR-3)."""

from django.db import migrations

CUSTOMER_ENTITIES = ("accounts", "contacts", "relationships")
ORG_ENTITIES = ("users", "departments", "companies")

# role key: (Hebrew, English, {entity: (view, add, change, delete, scope)})
ROLES = {
    "admin": ("מנהל מערכת", "Administrator", None),
    "manager": (
        "מנהל צוות",
        "Manager",
        {
            **{e: (True, True, True, True, "department") for e in CUSTOMER_ENTITIES},
            **{e: (True, False, False, False, "all") for e in ORG_ENTITIES},
        },
    ),
    "sales_rep": (
        "איש מכירות",
        "Sales representative",
        {
            "accounts": (True, True, True, False, "own"),
            "contacts": (True, True, True, False, "own"),
            "relationships": (True, True, True, True, "own"),
            **{e: (True, False, False, False, "all") for e in ORG_ENTITIES},
        },
    ),
    "support_agent": (
        "נציג שירות",
        "Support agent",
        {
            "accounts": (True, False, False, False, "all"),
            "contacts": (True, True, True, False, "all"),
            "relationships": (True, False, False, False, "all"),
            **{e: (True, False, False, False, "all") for e in ORG_ENTITIES},
        },
    ),
    "read_only": (
        "צפייה בלבד",
        "Read only",
        {e: (True, False, False, False, "all") for e in CUSTOMER_ENTITIES + ORG_ENTITIES},
    ),
}


def create_roles(apps, schema_editor):
    Role = apps.get_model("org", "Role")
    RolePermission = apps.get_model("org", "RolePermission")
    for key, (name_he, name_en, grants) in ROLES.items():
        role, _created = Role.objects.get_or_create(
            key=key, defaults={"name_he": name_he, "name_en": name_en, "is_admin": grants is None}
        )
        for entity, (view, add, change, delete, scope) in (grants or {}).items():
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
    dependencies = [("org", "0001_initial")]
    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]

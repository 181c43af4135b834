"""Competitors' starting threat levels and the built-in roles' rights on them; administrators
change both as data afterwards (REQ CX-4, OR-3)."""

from django.db import migrations

from kesher.org.grants import apply_grants

THREAT_LEVELS = [  # value, Hebrew, English, colour
    ("low", "נמוכה", "Low", "secondary"),
    ("medium", "בינונית", "Medium", "warning"),
    ("high", "גבוהה", "High", "danger"),
]

GRANTS = {  # role key: {entity: (view, add, change, delete, scope)}
    "manager": {"competitors": (True, True, True, True, "department")},
    "sales_rep": {"competitors": (True, True, True, False, "own")},
    "support_agent": {"competitors": (True, False, False, False, "all")},
    "read_only": {"competitors": (True, False, False, False, "all")},
}


def create_defaults(apps, schema_editor):
    Choice = apps.get_model("platform", "Choice")
    for order, (value, label_he, label_en, colour) in enumerate(THREAT_LEVELS):
        Choice.objects.get_or_create(
            list_key="competitor_threat",
            value=value,
            defaults={"label_he": label_he, "label_en": label_en, "order": order, "colour": colour},
        )
    apply_grants(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [("guide_app", "0001_initial"), ("org", "0002_default_roles")]
    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]

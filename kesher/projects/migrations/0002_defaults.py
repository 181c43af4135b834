"""Projects' starting pick-lists — the stages, billing modes and project roles — and the
built-in roles' rights on projects and time; administrators change all of them as data
afterwards (REQ PR-1, PR-2, PR-4, CX-4, OR-3)."""

from django.db import migrations

from kesher.org.grants import apply_grants

# list: [(value, Hebrew, English, colour, settings)]
LISTS = {
    "project_stage": [
        ("planning", "תכנון", "Planning", "secondary", {"default": True}),
        ("in_progress", "בביצוע", "In progress", "primary", {}),
        ("on_hold", "מושהה", "On hold", "warning", {}),
        ("delivered", "נמסר", "Delivered", "success", {}),
        ("closed", "סגור", "Closed", "dark", {}),
        ("cancelled", "בוטל", "Cancelled", "danger", {}),
    ],
    "project_billing_mode": [
        ("time_materials", "שעות וחומרים", "Time and materials", "", {"default": True}),
        ("fixed_price", "מחיר קבוע", "Fixed price", "", {}),
        ("milestones", "אבני דרך", "Milestones", "", {}),
        ("retainer", "ריטיינר חודשי", "Monthly retainer", "", {}),
    ],
    "project_role": [
        ("consultant", "יועץ", "Consultant", "", {}),
        ("analyst", "מנתח מערכות", "Systems analyst", "", {}),
        ("developer", "מפתח", "Developer", "", {"default": True}),
        ("designer", "מעצב", "Designer", "", {}),
        ("tester", "בודק איכות", "QA tester", "", {}),
        ("implementer", "מטמיע", "Implementer", "", {}),
    ],
}

# Employees see and report their own hours; a project's manager sees and approves his
# project's hours whatever his role (TimeEntry.objects.visible_to, services.entries_approve).
GRANTS = {  # role key: {entity: (view, add, change, delete, scope)}
    "manager": {
        "projects": (True, True, True, True, "department"),
        "project-members": (True, True, True, True, "department"),
        "time-entries": (True, True, True, True, "department"),
        "work-targets": (True, True, True, True, "department"),
    },
    "sales_rep": {
        "projects": (True, True, True, False, "own"),
        "project-members": (True, True, True, True, "own"),
        "time-entries": (True, True, True, True, "own"),
        "work-targets": (True, False, False, False, "own"),
    },
    "support_agent": {
        "projects": (True, False, False, False, "all"),
        "project-members": (True, False, False, False, "all"),
        "time-entries": (True, True, True, True, "own"),
        "work-targets": (True, False, False, False, "own"),
    },
    "read_only": {
        "projects": (True, False, False, False, "all"),
        "project-members": (True, False, False, False, "all"),
    },
}


def create_defaults(apps, schema_editor):
    Choice = apps.get_model("platform", "Choice")
    for list_key, rows in LISTS.items():
        for order, (value, label_he, label_en, colour, extra) in enumerate(rows):
            Choice.objects.get_or_create(
                list_key=list_key,
                value=value,
                defaults={
                    "label_he": label_he,
                    "label_en": label_en,
                    "order": order,
                    "colour": colour,
                    "extra": extra,
                },
            )
    apply_grants(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0001_initial"),
        ("org", "0002_default_roles"),
        ("platform", "0013_search_phone_once"),
    ]
    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]

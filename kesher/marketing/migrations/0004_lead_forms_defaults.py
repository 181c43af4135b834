"""The words a text reply refuses advertising with, and the built-in roles' rights on web forms
and scoring rules: administrators build forms and rules; managers and sales reps read them
(and the submissions on their leads). Administrators change both as data afterwards
(REQ MK-5, TK-8, OR-3; Communications Law §30A; decision 0105)."""

from django.db import migrations

from kesher.org.grants import apply_grants

REFUSAL_WORDS = [  # value, Hebrew, English
    ("הסר", "הסר", "הסר"),
    ("הסרה", "הסרה", "הסרה"),
    ("stop", "STOP", "STOP"),
    ("unsubscribe", "UNSUBSCRIBE", "UNSUBSCRIBE"),
]

GRANTS = {  # role key: {entity: (view, add, change, delete, scope)}
    "manager": {
        "lead-forms": (True, False, False, False, "all"),
        "scoring-rules": (True, False, False, False, "all"),
    },
    "sales_rep": {
        "lead-forms": (True, False, False, False, "all"),
        "scoring-rules": (True, False, False, False, "all"),
    },
    "read_only": {"lead-forms": (True, False, False, False, "all")},
}


def create_defaults(apps, schema_editor):
    Choice = apps.get_model("platform", "Choice")
    for order, (value, label_he, label_en) in enumerate(REFUSAL_WORDS):
        Choice.objects.get_or_create(
            list_key="refusal_word",
            value=value,
            defaults={"label_he": label_he, "label_en": label_en, "order": order},
        )
    apply_grants(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("marketing", "0003_lead_forms_scoring_refusals"),
        ("org", "0002_default_roles"),
    ]
    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]

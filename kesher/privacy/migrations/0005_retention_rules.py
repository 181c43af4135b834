"""Retention rules (REQ OR-8, issue 25 item 3): the privacy officer manages them, and two
examples wait inactive for an organization to adjust and switch on (decision 0078)."""

from django.db import migrations

from kesher.org.grants import apply_grants

GRANTS = {  # role key: {entity: (view, add, change, delete, scope)}
    "privacy_officer": {"retention-rules": (True, True, True, True, "all")},
}

EXAMPLES = [
    {
        "name": "לידים שלא הומרו תוך שנתיים",
        "entity": "leads",
        "condition": {"field": "converted_at", "op": "empty"},
        "age_field": "created_at",
        "age_months": 24,
        "action": "delete",
        "notes": "Leads never converted into a customer, two years after they came in.",
    },
    {
        "name": "פניות שירות שנפתרו לפני שבע שנים",
        "entity": "tickets",
        "condition": {"field": "resolved_at", "op": "not_empty"},
        "age_field": "resolved_at",
        "age_months": 84,
        "action": "anonymize",
        "notes": "Resolved tickets seven years on: their figures stay, the people's details go.",
    },
]


def seed(apps, schema_editor):
    apply_grants(apps, GRANTS)
    RetentionRule = apps.get_model("privacy", "RetentionRule")
    for example in EXAMPLES:
        RetentionRule.objects.get_or_create(
            name=example["name"], defaults={**example, "active": False}
        )


class Migration(migrations.Migration):
    dependencies = [("privacy", "0004_retention")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

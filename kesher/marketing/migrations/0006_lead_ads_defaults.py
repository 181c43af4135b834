"""The lead source "social networks" (Facebook, Instagram), and the built-in roles' rights on
ad lead forms: administrators set them up; managers and sales
reps read them (and the ad leads received through them). Administrators change both as data
afterwards (REQ MK-5, IN-4, OR-3; decision 0114)."""

from django.db import migrations

from kesher.org.grants import apply_grants

GRANTS = {  # role key: {entity: (view, add, change, delete, scope)}
    "manager": {"lead-ad-sources": (True, False, False, False, "all")},
    "sales_rep": {"lead-ad-sources": (True, False, False, False, "all")},
}


SOCIAL = ("social_ad", "רשתות חברתיות", "Social networks")
SOCIAL_DETAILS = [  # value, Hebrew, English — Meta names the platform of each lead
    ("facebook", "פייסבוק", "Facebook"),
    ("instagram", "אינסטגרם", "Instagram"),
]


def create_defaults(apps, schema_editor):
    Choice = apps.get_model("platform", "Choice")
    value, label_he, label_en = SOCIAL
    social, _created = Choice.objects.get_or_create(
        list_key="lead_source",
        value=value,
        defaults={"label_he": label_he, "label_en": label_en, "order": 50},
    )
    for order, (value, label_he, label_en) in enumerate(SOCIAL_DETAILS):
        Choice.objects.get_or_create(
            list_key="lead_source_detail",
            value=value,
            defaults={
                "label_he": label_he,
                "label_en": label_en,
                "order": 50 + order,
                "parent": social,
            },
        )
    apply_grants(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("marketing", "0005_lead_ads"),
        ("org", "0002_default_roles"),
    ]
    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]

"""Marketing's starting pick-lists (campaign types and statuses, how a consent was given) and
the built-in roles' rights; administrators change both as data afterwards (REQ MK-1, CX-4,
OR-3; Communications Law §30A)."""

from django.db import migrations

from kesher.org.grants import apply_grants

LISTS = {  # value, Hebrew, English, colour
    "campaign_type": [
        ("email", "דיוור אלקטרוני", "E-mail", ""),
        ("sms", "SMS", "SMS", ""),
        ("whatsapp", "WhatsApp", "WhatsApp", ""),
        ("phone", "טלפוני", "Phone", ""),
        ("event", "אירוע", "Event", ""),
        ("paid_ads", "פרסום ממומן", "Paid ads", ""),
        ("print", "דפוס", "Print", ""),
        ("webinar", "וובינר", "Webinar", ""),
    ],
    "campaign_status": [
        ("planned", "בתכנון", "Planned", "secondary"),
        ("active", "פעיל", "Active", "success"),
        ("paused", "מושהה", "Paused", "warning"),
        ("completed", "הסתיים", "Completed", "info"),
        ("cancelled", "בוטל", "Cancelled", "danger"),
    ],
    "consent_method": [
        ("form", "טופס", "Form", ""),
        ("call", "שיחה מוקלטת", "Recorded call", ""),
        ("signature", "חתימה", "Signature", ""),
        ("purchase", "במהלך רכישה", "During a purchase", ""),
        ("link", "קישור הסרה", "Unsubscribe link", ""),
        ("reply", "תשובה בערוץ", "Reply on the channel", ""),
        ("by_hand", "ידנית", "By hand", ""),
        ("import", "ייבוא", "Import", ""),
    ],
}

MARKETING = ("campaigns", "campaign-costs", "campaign-sends")

GRANTS = {  # role key: {entity: (view, add, change, delete, scope)}
    "manager": {
        **{e: (True, True, True, True, "all") for e in MARKETING},
        "consents": (True, True, False, False, "all"),
    },
    "sales_rep": {
        "campaigns": (True, False, False, False, "all"),
        "consents": (True, True, False, False, "all"),
    },
    "support_agent": {
        "campaigns": (True, False, False, False, "all"),
        "consents": (True, True, False, False, "all"),
    },
    "read_only": {
        "campaigns": (True, False, False, False, "all"),
        "campaign-costs": (True, False, False, False, "all"),
        "consents": (True, False, False, False, "all"),
    },
}


def create_defaults(apps, schema_editor):
    Choice = apps.get_model("platform", "Choice")
    for list_key, values in LISTS.items():
        for order, (value, label_he, label_en, colour) in enumerate(values):
            Choice.objects.get_or_create(
                list_key=list_key,
                value=value,
                defaults={
                    "label_he": label_he,
                    "label_en": label_en,
                    "order": order,
                    "colour": colour,
                },
            )
    apply_grants(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [("marketing", "0001_initial"), ("org", "0002_default_roles")]
    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]

"""Starting values of the customers' pick-lists; administrators edit them as data (REQ CX-4)."""

from django.db import migrations

LISTS = {
    "account_status": [
        ("lead", "ליד", "Lead", "secondary"),
        ("prospect", "לקוח פוטנציאלי", "Prospect", "info"),
        ("active", "לקוח פעיל", "Active customer", "success"),
        ("vip", "VIP", "VIP", "warning"),
        ("inactive", "לא פעיל", "Inactive", "dark"),
    ],
    "industry": [
        ("tech", "הייטק ותוכנה", "Technology and software"),
        ("retail", "קמעונאות", "Retail"),
        ("manufacturing", "תעשייה וייצור", "Manufacturing"),
        ("finance", "פיננסים וביטוח", "Finance and insurance"),
        ("health", "בריאות", "Health"),
        ("construction", "בנייה ונדל\"ן", "Construction and real estate"),
        ("education", "חינוך", "Education"),
        ("public", "מגזר ציבורי", "Public sector"),
        ("food", "מזון ומסעדנות", "Food and restaurants"),
        ("services", "שירותים מקצועיים", "Professional services"),
    ],
    "account_source": [
        ("website", "אתר האינטרנט", "Website"),
        ("referral", "הפניה", "Referral"),
        ("campaign", "קמפיין", "Campaign"),
        ("exhibition", "תערוכה", "Exhibition"),
        ("phone", "שיחה נכנסת", "Inbound call"),
        ("other", "אחר", "Other"),
    ],
}

# value: (Hebrew, English, reverse Hebrew, reverse English)
RELATIONSHIP_TYPES = [
    ("parent", "חברת אם של", "Parent company of", "חברת בת של", "Subsidiary of"),
    ("referred", "הפנה את", "Referred", "הופנה על ידי", "Referred by"),
    ("partner", "שותף של", "Partner of", "שותף של", "Partner of"),
    ("competitor", "מתחרה של", "Competitor of", "מתחרה של", "Competitor of"),
    ("works_with", "עובד עם", "Works with", "עובד עם", "Works with"),
    ("supplier", "ספק של", "Supplier of", "לקוח של", "Customer of"),
]


def create_choices(apps, schema_editor):
    Choice = apps.get_model("platform", "Choice")
    for list_key, values in LISTS.items():
        for order, row in enumerate(values):
            value, label_he, label_en = row[:3]
            colour = row[3] if len(row) > 3 else ""
            Choice.objects.get_or_create(
                list_key=list_key,
                value=value,
                defaults={"label_he": label_he, "label_en": label_en, "order": order,
                          "colour": colour},
            )
    for order, (value, he, en, rev_he, rev_en) in enumerate(RELATIONSHIP_TYPES):
        Choice.objects.get_or_create(
            list_key="relationship_type",
            value=value,
            defaults={
                "label_he": he,
                "label_en": en,
                "order": order,
                "extra": {"reverse_he": rev_he, "reverse_en": rev_en},
            },
        )


class Migration(migrations.Migration):
    dependencies = [("customers", "0003_initial"), ("platform", "0001_initial")]
    operations = [migrations.RunPython(create_choices, migrations.RunPython.noop)]

"""Starting pick-lists, role grants and the default business calendar of activities.
Administrators change all of them as data (REQ CX-4, OR-3, TK-4)."""

from django.db import migrations

from kesher.org.grants import apply_grants

LISTS = {
    # value, Hebrew, English, colour, settings
    "interaction_kind": [
        ("call", "שיחה", "Call", "", {}),
        ("email", "דוא״ל", "Email", "", {}),
        ("meeting", "פגישה", "Meeting", "", {}),
        ("note", "הערה", "Note", "", {}),
        ("sms", "SMS", "SMS", "", {}),
        ("whatsapp", "וואטסאפ", "WhatsApp", "", {}),
    ],
    "interaction_outcome": [
        ("reached", "נוצר קשר", "Reached", "success", {}),
        ("no_answer", "אין מענה", "No answer", "secondary", {}),
        ("left_message", "הושארה הודעה", "Left a message", "info", {}),
        ("interested", "מעוניין", "Interested", "success", {}),
        ("not_interested", "לא מעוניין", "Not interested", "dark", {}),
        ("follow_up", "נדרש המשך טיפול", "Follow-up needed", "warning", {}),
    ],
    "task_status": [
        ("open", "פתוחה", "Open", "primary", {"default": True}),
        ("in_progress", "בטיפול", "In progress", "info", {}),
        ("done", "בוצעה", "Done", "success", {"closed": True, "done": True}),
        ("cancelled", "בוטלה", "Cancelled", "secondary", {"closed": True}),
    ],
    "task_priority": [
        ("low", "נמוכה", "Low", "secondary", {}),
        ("normal", "רגילה", "Normal", "primary", {}),
        ("high", "גבוהה", "High", "warning", {}),
        ("urgent", "דחופה", "Urgent", "danger", {}),
    ],
    # sla_hours: the standard time in business hours (REQ TK-4, decision 0018).
    "task_type": [
        ("call_back", "חזרה ללקוח", "Call back", "", {"sla_hours": 4}),
        ("follow_up", "מעקב", "Follow-up", "", {"sla_hours": 16}),
        ("send_quote", "שליחת הצעת מחיר", "Send a quote", "", {"sla_hours": 8}),
        ("meeting", "קביעת פגישה", "Schedule a meeting", "", {"sla_hours": 18}),
        ("general", "כללי", "General", "", {}),
    ],
}

GRANTS = {  # role key: {entity: (view, add, change, delete, scope)}
    "manager": {
        "interactions": (True, True, True, True, "department"),
        "tasks": (True, True, True, True, "department"),
    },
    "sales_rep": {
        "interactions": (True, True, True, False, "own"),
        "tasks": (True, True, True, False, "own"),
    },
    "support_agent": {
        "interactions": (True, True, True, False, "all"),
        # "all", like the accounts they serve: a task is visible with its record anyway.
        "tasks": (True, True, True, False, "all"),
    },
    "read_only": {
        "interactions": (True, False, False, False, "all"),
        "tasks": (True, False, False, False, "all"),
    },
}


def create_defaults(apps, schema_editor):
    Choice = apps.get_model("platform", "Choice")
    BusinessCalendar = apps.get_model("activities", "BusinessCalendar")
    for list_key, values in LISTS.items():
        for order, (value, label_he, label_en, colour, extra) in enumerate(values):
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
    if not BusinessCalendar.objects.filter(company__isnull=True).exists():
        BusinessCalendar.objects.create()


class Migration(migrations.Migration):
    dependencies = [
        ("activities", "0001_initial"),
        ("org", "0002_default_roles"),
        ("platform", "0003_choice_entities"),
    ]
    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]

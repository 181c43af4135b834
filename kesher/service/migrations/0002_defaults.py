"""Service's starting pick-lists (seed 001: the ticket type, its subtype and subtype level 2,
priority, status, channel), SLA policies by priority and the built-in roles' rights;
administrators change all of them as data afterwards, and set the fields each status requires
as field rules (REQ SV-2 … SV-5, SV-9, CX-4, OR-3)."""

from decimal import Decimal

from django.db import migrations

from kesher.org.grants import apply_grants

# list: [(value, Hebrew, English, colour, settings, parent value)]
LISTS = {
    "ticket_type": [
        ("technical_support", "תמיכה טכנית", "Technical support", "", {"default_priority": "high"}, None),
        ("marketing_info", "בקשה למידע שיווקי", "Marketing information", "", {"default_priority": "medium"}, None),
        ("training_info", "בקשה למידע הדרכתי", "Training information", "", {"default_priority": "low"}, None),
    ],
    "ticket_subtype": [
        ("computer_connection", "חיבור מחשב", "Connecting a computer", "", {}, "technical_support"),
        ("software_install", "התקנת תוכנה", "Installing software", "", {}, "technical_support"),
        ("system_repair", "תיקון מערכת", "System repair", "", {}, "technical_support"),
        ("brochure", "חומר פרסומי", "Brochure", "", {}, "marketing_info"),
        ("price_list", "מחירון", "Price list", "", {}, "marketing_info"),
        ("course", "קורס", "Course", "", {}, "training_info"),
        ("user_guide", "מדריך למשתמש", "User guide", "", {}, "training_info"),
    ],
    "ticket_subtype2": [
        ("windows", "Windows", "Windows", "", {}, "software_install"),
        ("mac", "Mac", "Mac", "", {}, "software_install"),
        ("server", "שרת", "Server", "", {}, "system_repair"),
        ("network", "רשת", "Network", "", {}, "system_repair"),
    ],
    "ticket_priority": [
        ("urgent", "דחופה", "Urgent", "danger", {}, None),
        ("high", "גבוהה", "High", "warning", {}, None),
        ("medium", "בינונית", "Medium", "info", {"default": True}, None),
        ("low", "נמוכה", "Low", "secondary", {}, None),
    ],
    "ticket_status": [
        ("new", "חדשה", "New", "primary", {"default": True}, None),
        ("in_progress", "בטיפול", "In progress", "info", {}, None),
        ("waiting_customer", "ממתינה ללקוח", "Waiting for the customer", "warning", {"waiting": True}, None),
        ("resolved", "נפתרה", "Resolved", "success", {"resolved": True}, None),
        ("closed", "סגורה", "Closed", "dark", {"resolved": True}, None),
    ],
    "ticket_channel": [
        ("portal", "פורטל", "Portal", "", {}, None),
        ("email", "דוא״ל", "E-mail", "", {}, None),
        ("phone", "טלפון", "Phone", "", {}, None),
        ("sms_whatsapp", "SMS / וואטסאפ", "SMS / WhatsApp", "", {}, None),
        ("web_form", "טופס באתר", "Web form", "", {}, None),
    ],
}
PARENT_LIST = {"ticket_subtype": "ticket_type", "ticket_subtype2": "ticket_subtype"}

# order, Hebrew, English, priority, first response, next response, resolution (business hours)
POLICIES = [
    (10, "דחופה", "Urgent", "urgent", "1", "2", "8"),
    (20, "גבוהה", "High", "high", "2", "4", "16"),
    (90, "רגילה", "Standard", None, "4", "8", "40"),
]

GRANTS = {  # role key: {entity: (view, add, change, delete, scope)}
    "manager": {
        "tickets": (True, True, True, True, "department"),
        "service-teams": (True, False, False, False, "all"),
        "sla-policies": (True, False, False, False, "all"),
    },
    # A sales rep sees his own customers only, so only the tickets he is responsible for: a
    # ticket names its customer.
    "sales_rep": {
        "tickets": (True, True, True, False, "own"),
        "service-teams": (True, False, False, False, "all"),
        "sla-policies": (True, False, False, False, "all"),
    },
    "support_agent": {
        "tickets": (True, True, True, False, "all"),
        "service-teams": (True, False, False, False, "all"),
        "sla-policies": (True, False, False, False, "all"),
    },
    "read_only": {
        "tickets": (True, False, False, False, "all"),
        "service-teams": (True, False, False, False, "all"),
        "sla-policies": (True, False, False, False, "all"),
    },
}


def create_defaults(apps, schema_editor):
    Choice = apps.get_model("platform", "Choice")
    for list_key, rows in LISTS.items():
        for order, (value, label_he, label_en, colour, extra, parent) in enumerate(rows):
            parent_choice = None
            if parent:
                parent_choice = Choice.objects.filter(
                    list_key=PARENT_LIST[list_key], value=parent
                ).first()
            Choice.objects.get_or_create(
                list_key=list_key,
                value=value,
                defaults={
                    "label_he": label_he,
                    "label_en": label_en,
                    "order": order,
                    "colour": colour,
                    "extra": extra,
                    "parent": parent_choice,
                },
            )
    SlaPolicy = apps.get_model("service", "SlaPolicy")
    if not SlaPolicy.objects.exists():
        for order, he, en, priority, first, following, resolution in POLICIES:
            SlaPolicy.objects.create(
                order=order,
                name_he=he,
                name_en=en,
                priority=Choice.objects.filter(list_key="ticket_priority", value=priority).first(),
                first_response_hours=Decimal(first),
                next_response_hours=Decimal(following),
                resolution_hours=Decimal(resolution),
            )
    apply_grants(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("service", "0001_initial"),
        ("org", "0002_default_roles"),
        ("platform", "0013_search_phone_once"),
    ]
    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]

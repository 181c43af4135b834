"""The default pipeline with the stages of seed 003, sales' starting pick-lists and the built-in
roles' rights; administrators change all of them as data afterwards (REQ SA-1 … SA-4, MK-6,
CX-4, OR-3; decision 0057)."""

from django.db import migrations

from kesher.org.grants import apply_grants

# key, Hebrew, English, group, outcome, standard business days, probability
STAGES = [
    ("potential", "פוטנציאלי", "Potential", "open", "open", 10, 10),
    ("proposal", "הצעה", "Proposal", "open", "open", 5, 40),
    ("order", "הזמנה", "Order", "open", "open", 3, 80),
    ("won", "זכייה", "Won", "execution", "won", None, 100),
    ("in_work", "בעבודה", "In work", "execution", "won", None, 100),
    ("on_hold", "בהמתנה", "On hold", "execution", "won", None, 100),
    ("done", "בוצע", "Done", "closed", "won", None, 100),
    ("lost", "הפסד", "Lost", "closed", "lost", None, 0),
]

LISTS = {  # value, Hebrew, English, colour, settings, parent value
    # The lead's source and its dependent secondary source (REQ MK-6).
    "lead_source": [
        ("word_ad", "קמפיין מילות מפתח", "Word-ad campaign", "", {}, None),
        ("referral", "הפניה", "Referral", "", {}, None),
        ("video_ad", "פרסומת וידאו", "Video ad", "", {}, None),
        ("website", "אתר האינטרנט", "Website", "", {}, None),
        ("exhibition", "תערוכה", "Exhibition", "", {}, None),
        ("phone", "שיחה נכנסת", "Inbound call", "", {}, None),
    ],
    "lead_source_detail": [
        ("google", "גוגל", "Google", "", {}, "word_ad"),
        ("ynet", "YNET", "YNET", "", {}, "word_ad"),
        ("walla", "וואלה", "Walla", "", {}, "word_ad"),
        ("customer", "לקוח", "Customer", "", {}, "referral"),
        ("unknown", "לא ידוע", "Unknown", "", {}, "referral"),
        ("youtube", "יוטיוב", "YouTube", "", {}, "video_ad"),
        ("keshet", "קשת", "Keshet", "", {}, "video_ad"),
    ],
    "lead_status": [
        ("new", "חדש", "New", "primary", {"default": True}, None),
        ("contacted", "נוצר קשר", "Contacted", "info", {}, None),
        ("qualified", "מתאים", "Qualified", "success", {}, None),
        ("converted", "הומר", "Converted", "dark", {}, None),
        ("disqualified", "לא מתאים", "Disqualified", "secondary", {}, None),
    ],
    "opportunity_priority": [
        ("a", "A — גבוהה", "A — high", "danger", {}, None),
        ("b", "B — רגילה", "B — normal", "warning", {}, None),
        ("c", "C — נמוכה", "C — low", "secondary", {}, None),
    ],
    "lost_reason": [
        ("price", "מחיר", "Price", "", {}, None),
        ("competitor", "נבחר מתחרה", "Chose a competitor", "", {}, None),
        ("no_budget", "אין תקציב", "No budget", "", {}, None),
        ("no_decision", "לא התקבלה החלטה", "No decision", "", {}, None),
        ("missing_feature", "חסר במוצר", "Product lacks something", "", {}, None),
    ],
}

GRANTS = {  # role key: {entity: (view, add, change, delete, scope)}
    "manager": {
        "leads": (True, True, True, True, "department"),
        "opportunities": (True, True, True, True, "department"),
        "pipelines": (True, False, False, False, "all"),
        "stages": (True, False, False, False, "all"),
        "rivals": (True, True, True, True, "all"),
    },
    "sales_rep": {
        "leads": (True, True, True, False, "own"),
        "opportunities": (True, True, True, False, "own"),
        "pipelines": (True, False, False, False, "all"),
        "stages": (True, False, False, False, "all"),
        "rivals": (True, True, True, False, "all"),
    },
    "support_agent": {
        "leads": (True, False, False, False, "all"),
        "opportunities": (True, False, False, False, "all"),
        "pipelines": (True, False, False, False, "all"),
        "stages": (True, False, False, False, "all"),
        "rivals": (True, False, False, False, "all"),
    },
    "read_only": {
        "leads": (True, False, False, False, "all"),
        "opportunities": (True, False, False, False, "all"),
        "pipelines": (True, False, False, False, "all"),
        "stages": (True, False, False, False, "all"),
        "rivals": (True, False, False, False, "all"),
    },
}


def create_defaults(apps, schema_editor):
    Choice = apps.get_model("platform", "Choice")
    for list_key, rows in LISTS.items():
        for order, (value, label_he, label_en, colour, extra, parent) in enumerate(rows):
            parent_choice = None
            if parent:
                parent_choice = Choice.objects.filter(
                    list_key=list_key.removesuffix("_detail"), value=parent
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
    Pipeline = apps.get_model("sales", "Pipeline")
    Stage = apps.get_model("sales", "Stage")
    if not Pipeline.objects.exists():
        pipeline = Pipeline.objects.create(name_he="מכירות", name_en="Sales", order=1)
        for order, (key, he, en, group, outcome, days, probability) in enumerate(STAGES):
            Stage.objects.create(
                pipeline=pipeline,
                key=key,
                name_he=he,
                name_en=en,
                order=(order + 1) * 10,
                group=group,
                outcome=outcome,
                standard_days=days,
                probability=probability,
            )
    apply_grants(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("sales", "0001_initial"),
        ("org", "0002_default_roles"),
        ("platform", "0011_bulk_link_actions"),
    ]
    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]

"""The roll-out method of the seeds as data (REQ IMPL-1, IMPL-2, AU-2): seed 004's stages and
their deliverables, with the screen that does each and the check that ticks it; training
exercises per role; seed 000's sBills service process as the sample mapping; the project's row.
Administrators change all of it afterwards; an upgrade never overwrites what they changed."""

from django.db import migrations

# stage key, Hebrew, English, [(item key, Hebrew, English, screen, check)]
STAGES = [
    (
        "plan",
        "תוכנית עבודה",
        "Work plan",
        [
            ("project-lead", "מינוי אחראי פרויקט", "A project lead", "/rollout/#project", "project_lead"),
            ("budget", "תקציב", "A budget", "/rollout/#project", "budget"),
            ("schedule", "לוחות זמנים", "A schedule", "/rollout/#project", "schedule"),
            ("requirements", "מסמך אפיון למערכת", "A requirements document", "", ""),
            ("expectations", "תיאום ציפיות", "Expectations agreed", "", ""),
            (
                "history",
                "מסגרת להיסטוריה ולתיעוד הארגוני",
                "What history and records to keep",
                "",
                "",
            ),
        ],
    ),
    (
        "processes",
        "ניתוח תהליכים",
        "Processes",
        [
            (
                "activities",
                "רשימת כלל הפעילויות בארגון",
                "The list of all the organization's activities",
                "/rollout/processes/",
                "",
            ),
            (
                "mapped",
                "כל תהליך ממופה בשש השאלות",
                "Each process mapped by the six questions",
                "/rollout/processes/",
                "processes_mapped",
            ),
            (
                "installed",
                "התהליכים הוקמו ב-Kesher",
                "The processes set up in Kesher",
                "/rollout/processes/",
                "processes_installed",
            ),
        ],
    ),
    (
        "people",
        "משתמשים והרשאות",
        "Users and permissions",
        [
            ("departments", "עץ המחלקות", "The department tree", "/r/departments/", "departments"),
            ("users", "רשימת המשתמשים", "The list of users", "/r/users/", "users"),
            ("roles", "תפקידים והרשאות", "Roles and permissions", "/r/roles/", "roles"),
        ],
    ),
    (
        "data",
        "טבלאות מידע ונתונים",
        "Data tables",
        [
            (
                "tables",
                "רשימות וקבצים של כל המידע והנתונים (Excel)",
                "Lists and files of all the data (Excel)",
                "",
                "",
            ),
            (
                "practice",
                "סביבת התרגול הוקמה",
                "The practice environment made",
                "/practice/",
                "practice_ready",
            ),
            (
                "practice-import",
                "ייבוא לסביבת התרגול הושלם",
                "An import into the practice environment finished",
                "/practice/",
                "practice_import",
            ),
        ],
    ),
    (
        "documents",
        "מסמכי מאסטר",
        "Master documents",
        [
            (
                "document-list",
                "רשימת המסמכים ועותקי מסמכי המקור",
                "The list of documents and copies of the originals",
                "",
                "",
            ),
            (
                "document-templates",
                "תבניות מסמכים אחידות",
                "Master document templates",
                "/r/document-templates/",
                "document_templates",
            ),
            (
                "email-templates",
                "תבניות דוא״ל",
                "E-mail templates",
                "/r/email-templates/",
                "email_templates",
            ),
            (
                "equipment",
                "ציוד נדרש לתיעוד (סורק, פקס רשתי)",
                "Equipment for records (scanner, network fax)",
                "",
                "",
            ),
        ],
    ),
    (
        "training",
        "הדרכה",
        "Training",
        [
            (
                "training-plan",
                "תוכנית הדרכה: תרגילים לכל תפקיד",
                "A training plan: exercises for each role",
                "/r/training-exercises/",
                "exercises",
            ),
            (
                "trained",
                "כל המשתמשים עברו הדרכה בסביבת התרגול",
                "Every user trained in the practice environment",
                "/rollout/training/",
                "everyone_trained",
            ),
            (
                "advanced",
                "משתמשים נבחרים להדרכה מתקדמת",
                "Users chosen for advanced training",
                "/rollout/#project",
                "advanced_chosen",
            ),
            ("admin-training", "הדרכת מנהל מערכת", "The administrator's training", "", ""),
        ],
    ),
    (
        "cutover",
        "מעבר לעבודה שוטפת",
        "Cut-over",
        [
            (
                "final-export",
                "ייצוא אחרון מהמערכת הקודמת",
                "The final export from the old system",
                "",
                "",
            ),
            ("freeze", "הקפאת העבודה במערכת הקודמת", "The old system frozen", "", ""),
            (
                "final-import",
                "ייבוא אחרון ל-Kesher",
                "The final import into Kesher",
                "/imports/",
                "live_import",
            ),
            ("go-live", "עלייה לאוויר", "Go-live", "", ""),
        ],
    ),
]

# role key (None: everyone), Hebrew, English, Hebrew steps, English steps, screen, check, advanced
EXERCISES = [
    (
        None,
        "ליצור משימה ולסגור אותה",
        "Create a task and close it",
        "פתחו משימה לעצמכם למחר, ואז סמנו אותה כבוצעה.",
        "Open a task for yourself for tomorrow, then mark it done.",
        "/r/tasks/new/",
        "tasks",
        False,
    ),
    (
        "sales_rep",
        "ליצור לקוח חדש",
        "Create a new account",
        "הוסיפו לקוח עם טלפון ודוא״ל, ופתחו את הדף שלו.",
        "Add an account with a phone and an e-mail, and open its page.",
        "/r/accounts/new/",
        "accounts",
        False,
    ),
    (
        "sales_rep",
        "לפתוח הזדמנות מכירה",
        "Open a deal",
        "פתחו הזדמנות ללקוח שיצרתם והעבירו אותה שלב בלוח המכירות.",
        "Open a deal for the account you made and move it one stage on the sales board.",
        "/r/opportunities/new/",
        "opportunities",
        False,
    ),
    (
        "support_agent",
        "לפתוח פנייה ולהעביר סטטוס",
        "Open a ticket and move its status",
        "פתחו פנייה בשם לקוח, סווגו אותה והעבירו אותה לסטטוס הבא.",
        "Open a ticket for a customer, classify it and move it to the next status.",
        "/r/tickets/new/",
        "tickets",
        False,
    ),
    (
        "support_agent",
        "לתעד שיחה עם לקוח",
        "Log a call with a customer",
        "תעדו שיחת טלפון על דף הלקוח.",
        "Log a phone call on the customer's page.",
        "/r/interactions/new/",
        "interactions",
        False,
    ),
    (
        "manager",
        "לבנות דוח לצוות",
        "Build a report for the team",
        "בנו דוח של משימות פתוחות לפי אחראי ושמרו אותו.",
        "Build a report of open tasks by assignee and save it.",
        "/reports/",
        "",
        False,
    ),
    (
        None,
        "לבנות כלל אוטומציה",
        "Build an automation rule",
        "בנו כלל שיוצר משימה כשלקוח הופך לפעיל, ובדקו אותו בסביבת התרגול.",
        "Build a rule that makes a task when an account becomes active; try it in practice.",
        "/automation/rules/new/",
        "automation-rules",
        True,
    ),
    (
        None,
        "לייבא קובץ Excel",
        "Import an Excel file",
        "ייבאו רשימת לקוחות מקובץ לסביבת התרגול, קראו את דוח הבדיקה ובטלו את הייבוא.",
        "Import a list of accounts from a file into practice, read the check, then undo it.",
        "/imports/",
        "",
        True,
    ),
]

SBILLS = {
    "name": "טיפול בפניית שירות (sBills)",
    "target": "tickets",
    "owner_note": "גיא, מנהל תחום שירות הלקוחות: הטיפול בפניות מתרכז אצלו, והוא מסייע לנתח את התהליך.",
    "contributors": "ספקים חיצוניים אינם לוקחים חלק. הלקוח פותח את הפנייה בפורטל השירות.",
    "parties": [
        {
            "key": "support_agent",
            "name_he": "צוות התמיכה",
            "name_en": "Support team",
            "like": "support_agent",
            "duty": "מסווגים את הפנייה ונותנים מענה ראשוני; כשנדרש שינוי בקוד מעבירים לפיתוח.",
        },
        {
            "key": "developer",
            "name_he": "צוות הפיתוח",
            "name_en": "Development team",
            "like": "support_agent",
            "duty": "בודקים את מקור התקלה ומבצעים את השינויים הנדרשים.",
        },
        {
            "key": "qa",
            "name_he": "צוות אבטחת איכות",
            "name_en": "QA team",
            "like": "support_agent",
            "duty": "בודקים את התיקון לאחר שהפיתוח סיים.",
        },
    ],
    "stages": [
        {"value": "new", "label_he": "חדשה", "label_en": "New"},
        {"value": "classified", "label_he": "סווגה", "label_en": "Classified"},
        {"value": "in_development", "label_he": "בפיתוח", "label_en": "In development"},
        {"value": "in_qa", "label_he": "בבדיקת איכות", "label_en": "In QA"},
        {"value": "closed", "label_he": "סגורה", "label_en": "Closed"},
    ],
    "triggers": [
        {"on": "created", "do": "task", "party": "support_agent", "title": "לסווג ולתת מענה ראשון", "hours": 4},
        {"on": "in_development", "do": "task", "party": "developer", "title": "לתקן את התקלה", "hours": 16},
        {"on": "in_qa", "do": "task", "party": "qa", "title": "לבדוק את התיקון", "hours": 8},
        {"on": "closed", "do": "email", "party": "", "title": "הפנייה שלך נסגרה", "hours": 24},
    ],
    "links": "לתהליך זה אין השקות לתהליכים אחרים בארגון.",
}


def create_defaults(apps, schema_editor):
    Stage = apps.get_model("rollout", "Stage")
    Item = apps.get_model("rollout", "Item")
    Exercise = apps.get_model("rollout", "Exercise")
    MappedProcess = apps.get_model("rollout", "MappedProcess")
    Project = apps.get_model("rollout", "Project")
    Role = apps.get_model("org", "Role")
    Project.objects.get_or_create(pk=1)
    for order, (key, name_he, name_en, items) in enumerate(STAGES):
        stage, _created = Stage.objects.get_or_create(
            key=key, defaults={"name_he": name_he, "name_en": name_en, "order": order * 10}
        )
        for item_order, (item_key, item_he, item_en, link, check) in enumerate(items):
            Item.objects.get_or_create(
                key=item_key,
                defaults={
                    "stage": stage,
                    "name_he": item_he,
                    "name_en": item_en,
                    "link": link,
                    "detector": check,
                    "order": item_order * 10,
                },
            )
    if not Exercise.objects.exists():
        for order, (role, title_he, title_en, steps_he, steps_en, link, check, advanced) in enumerate(
            EXERCISES
        ):
            Exercise.objects.create(
                role=Role.objects.filter(key=role).first() if role else None,
                title_he=title_he,
                title_en=title_en,
                steps_he=steps_he,
                steps_en=steps_en,
                link=link,
                detector=check,
                advanced=advanced,
                order=order * 10,
            )
    if not MappedProcess.objects.exists():
        MappedProcess.objects.create(**SBILLS)


class Migration(migrations.Migration):
    dependencies = [("rollout", "0001_initial"), ("org", "0002_default_roles")]
    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]

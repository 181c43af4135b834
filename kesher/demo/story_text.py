"""The words of the demo's working week (``story``): what was said with customers, what is to
be done, who meets whom. ``{account}`` and ``{contact}`` are filled in with the customer and
its first contact; times are (hour, minute) in Israel.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ADMIN_JOBS",
    "ADMIN_SCENES",
    "APPROVALS",
    "CEO_JOBS",
    "CEO_SCENES",
    "ENGLISH_JOBS",
    "ENGLISH_SCENES",
    "HANDOVERS",
    "MANAGER_JOBS",
    "MEETINGS",
    "PAST_MEETINGS",
    "QUOTES_SENT",
    "QUOTE_SENT",
    "SALES_JOBS",
    "SALES_SCENES",
    "SERVICE_JOBS",
    "SERVICE_SCENES",
    "Job",
    "Scene",
]


@dataclass(frozen=True)
class Scene:
    """An interaction: its kind, direction and outcome values, and when (working days ago)."""

    kind: str
    direction: str
    outcome: str
    days_ago: int
    time: tuple[int, int]
    minutes: int
    subject: str
    body: str


@dataclass(frozen=True)
class Job:
    """A task: due in ``due_in`` working days (0 today, negative: overdue) at ``time``."""

    title: str
    notes: str
    type: str
    priority: str
    due_in: int
    time: tuple[int, int]


@dataclass(frozen=True)
class Handover:
    """A task ``by`` hands ``to``, about the ``which``-th customer ``about`` handles."""

    by: str
    to: str
    about: str | None
    which: int
    job: Job
    done: bool = False


@dataclass(frozen=True)
class Meeting:
    """A coming meeting ``booked_by`` books for ``owner`` with colleagues ``with_users``: in
    ``in_days`` working days, or next week on ``weekday`` (Monday 0 … Sunday 6)."""

    booked_by: str
    owner: str
    scene: Scene
    with_users: tuple[str, ...]
    about: str | None = None
    which: int = 0
    in_days: int = 1
    next_week: bool = False
    weekday: int = 6


@dataclass(frozen=True)
class PastMeeting:
    """A meeting held already (``scene.days_ago``): its colleagues took part, no one invited."""

    booked_by: str
    scene: Scene
    with_users: tuple[str, ...]


@dataclass(frozen=True)
class Round:
    """An approval round ``requester`` starts on his ``which``-th customer, and its decisions
    so far: (decider, "approve"/"reject", comment)."""

    requester: str
    which: int
    process: str
    decisions: tuple[tuple[str, str, str], ...] = ()


SALES_SCENES = [
    Scene(
        "call", "out", "reached", 1, (10, 15), 12,
        "שיחת מעקב על הצעת המחיר",
        "דיברתי עם {contact}: ההצעה ל{account} התקבלה, מבקשים לפרוס את התשלום לשלושה "
        "תשלומים. סיכמנו שאשלח הצעה מעודכנת עד סוף השבוע.",
    ),
    Scene(
        "email", "out", "", 2, (14, 40), 0,
        "נשלחה הצעת מחיר לחידוש השנתי",
        "שלחתי ל{contact} את הצעת המחיר לחידוש חוזה השירות של {account}, כולל 10% הנחת "
        "נאמנות. ממתינים לאישור הנהלת הכספים אצלם.",
    ),
    Scene(
        "meeting", "out", "interested", 3, (11, 0), 60,
        "פגישת היכרות במשרדי {account}",
        "נפגשנו עם {contact} ועם מנהל התפעול. הם מנהלים פניות שירות לשני סניפים בגיליון "
        "משותף ורוצים לעבור למערכת. ביקשו הדגמה של המשימות ושל הדוחות.",
    ),
    Scene(
        "whatsapp", "in", "follow_up", 1, (16, 20), 0,
        "בקשה לדחות את ההתקנה",
        "הודעה מ{contact}: מבקשים לדחות את ההתקנה ב{account} לשבוע הבא בגלל ספירת מלאי. "
        "צריך לתאם מחדש עם הטכנאי.",
    ),
    Scene(
        "call", "out", "no_answer", 4, (9, 30), 1,
        "ניסיון שיחה על חידוש המנוי",
        "התקשרתי ל{contact} לגבי חידוש המנוי של {account}; אין מענה. אנסה שוב מחר בבוקר.",
    ),
    Scene(
        "call", "in", "interested", 2, (11, 30), 20,
        "פנייה נכנסת: הרחבה לסניף נוסף",
        "{contact} התקשר: {account} פותחים סניף בבאר שבע וצריכים עוד שמונה רישיונות. "
        "ביקש הצעה עד יום חמישי.",
    ),
    Scene(
        "email", "in", "", 3, (8, 40), 0,
        "שאלות על תנאי השירות",
        "{contact} שאל במייל מה כולל השירות בשעות הערב והאם יש זמן תגובה מובטח. "
        "עניתי וצירפתי את נספח השירות.",
    ),
    Scene(
        "call", "out", "not_interested", 4, (13, 50), 7,
        "שיחת הצעה לשדרוג החבילה",
        "הצעתי ל{contact} לשדרג את {account} לחבילת השירות המורחבת. כרגע לא מעוניינים; "
        "לחזור אליהם ברבעון הבא, אחרי אישור התקציב.",
    ),
]  # fmt: skip

SALES_JOBS = [
    Job(
        "להחזיר שיחה ל{contact} – {account}",
        "ביקשו שנחזור אליהם לגבי פריסת התשלומים.",
        "call_back", "high", -2, (12, 0),
    ),
    Job(
        "לשלוח הצעת מחיר מעודכנת ל{account}",
        "שלושה תשלומים, בלי שינוי במחיר הכולל.",
        "send_quote", "normal", 0, (16, 0),
    ),
    Job(
        "לתאם הדגמה עם {contact}",
        "להדגים משימות, יומן ודוחות; לבקש שמנהל התפעול ישתתף.",
        "meeting", "normal", 2, (10, 0),
    ),
    Job(
        "מעקב על חידוש החוזה – {account}",
        "לבדוק אם הנהלת הכספים אישרה את ההצעה.",
        "follow_up", "low", 4, (11, 30),
    ),
]  # fmt: skip

MANAGER_JOBS = [
    Job(
        "להכין תחזית מכירות לרבעון הבא",
        "לפי צוותים: צפון ומרכז; לכלול עסקאות שממתינות לאישור.",
        "general", "high", -1, (17, 0),
    ),
    Job(
        "לאשר את תנאי התשלום של {account}",
        "ביקשו שוטף+60 במקום שוטף+30.",
        "follow_up", "normal", 0, (15, 0),
    ),
    Job(
        "שיחת משוב עם אנשי המכירות החדשים",
        "",
        "general", "normal", 3, (9, 0),
    ),
]  # fmt: skip

SERVICE_SCENES = [
    Scene(
        "call", "in", "reached", 1, (9, 45), 18,
        "תקלה בחיבור מדפסת רשת",
        "{contact} מ{account} דיווח שהמדפסת בקומה השנייה לא מופיעה ברשת אחרי החלפת הנתב. "
        "הנחיתי לאתחל את המדפסת ולהגדיר לה כתובת קבועה; התקלה נפתרה בשיחה.",
    ),
    Scene(
        "email", "out", "", 2, (13, 10), 0,
        "סיכום הטיפול בקריאת השירות",
        "שלחתי ל{contact} סיכום של התקנת חבילת האופיס ב-12 עמדות ב{account}, כולל הוראות "
        "להפעלת הרישיונות.",
    ),
    Scene(
        "sms", "out", "", 3, (8, 30), 0,
        "תזכורת לביקור טכנאי",
        "נשלחה ל{contact} תזכורת לביקור הטכנאי ב{account} ביום ראשון בין 09:00 ל-12:00.",
    ),
    Scene(
        "call", "in", "follow_up", 1, (15, 5), 9,
        "שאלה על חשבונית כפולה",
        "{contact} מ{account} אומר שחויבו פעמיים על החשבונית של החודש שעבר. העברתי לבדיקה "
        "בהנהלת החשבונות וחזרה אליו עד מחר.",
    ),
    Scene(
        "whatsapp", "in", "reached", 2, (17, 25), 0,
        "אין גישה לתיבת הדואר",
        "{contact} מ{account} כתב שאין לו גישה לתיבת הדואר אחרי החלפת הסיסמה. איפסתי את "
        "הסיסמה והגישה חזרה.",
    ),
    Scene(
        "call", "out", "left_message", 4, (10, 40), 2,
        "חידוש אחריות לשרת",
        "השארתי ל{contact} הודעה: האחריות על השרת ב{account} מסתיימת בסוף החודש.",
    ),
]  # fmt: skip

SERVICE_JOBS = [
    Job(
        "לוודא שהמדפסת ב{account} עובדת",
        "להתקשר ל{contact} ולבדוק שההדפסה מכל העמדות תקינה.",
        "call_back", "high", -1, (10, 0),
    ),
    Job(
        "להתקין אנטי-וירוס בעמדות החדשות – {account}",
        "ארבע עמדות חדשות בקבלה.",
        "general", "normal", 0, (14, 0),
    ),
    Job(
        "לעדכן את {contact} על בדיקת החשבונית",
        "",
        "follow_up", "normal", 1, (12, 0),
    ),
]  # fmt: skip

CEO_SCENES = [
    Scene(
        "call", "out", "reached", 1, (18, 0), 25,
        "שיחת שימור עם {contact}",
        "{contact} מ{account} שקלו לעבור לספק אחר בגלל זמני התגובה. הבטחתי איש קשר ייעודי "
        "וסקירה רבעונית; נשארים איתנו.",
    ),
    Scene(
        "email", "in", "", 2, (8, 50), 0,
        "בקשה להרחבת ההתקשרות",
        "{contact} כתב שהם פותחים סניף שלישי ורוצים להרחיב את חבילת השירות. העברתי למשה "
        "להצעה.",
    ),
    Scene(
        "meeting", "out", "interested", 4, (12, 0), 90,
        "פגישת הנהלה עם {account}",
        "ישיבה עם {contact} על ההתקשרות בשנה הבאה: מעבר לחבילת שירות מורחבת לשלושה סניפים. "
        "ביקשו הצעה עד אמצע החודש.",
    ),
]  # fmt: skip

CEO_JOBS = [
    Job(
        "לחתום על הסכם המסגרת עם {account}",
        "",
        "general", "high", -1, (13, 0),
    ),
    Job(
        "לעבור על דוח הגבייה החודשי",
        "",
        "general", "normal", 0, (17, 0),
    ),
    Job(
        "להכין מצגת לישיבת הדירקטוריון",
        "תוצאות הרבעון, גיוס עובדים לשירות, יעדי מכירות לשנה הבאה.",
        "general", "normal", 3, (9, 0),
    ),
]  # fmt: skip

ADMIN_SCENES = [
    Scene(
        "call", "out", "reached", 1, (11, 20), 35,
        "הדרכה מרחוק על ייבוא אנשי קשר",
        "עברתי עם {contact} מ{account} על ייבוא אנשי הקשר מקובץ אקסל ועל איחוד כפילויות.",
    ),
    Scene(
        "email", "out", "", 2, (10, 5), 0,
        "פרטי גישה לפורטל הלקוחות",
        "שלחתי ל{contact} הוראות כניסה לפורטל הלקוחות של {account}.",
    ),
]  # fmt: skip

ADMIN_JOBS = [
    Job(
        "לגבות את המערכת לפני עדכון הגרסה",
        "",
        "general", "high", -1, (18, 0),
    ),
    Job(
        "להוסיף שדה 'מספר עמדות' ללקוחות",
        "בקשה של צוות השירות; רשימה נפתחת לפי טווחים.",
        "general", "normal", 0, (12, 0),
    ),
    Job(
        "לעדכן את תבנית המייל של הצעת מחיר",
        "",
        "general", "low", 3, (10, 0),
    ),
]  # fmt: skip

ENGLISH_SCENES = [
    Scene(
        "call", "out", "reached", 1, (10, 45), 15,
        "Follow-up call on the renewal quote",
        "Spoke with {contact}: {account} accepted the quote and asks to split the payment in "
        "three. I will send an updated quote by the end of the week.",
    ),
    Scene(
        "email", "out", "", 2, (15, 0), 0,
        "Sent the onboarding plan",
        "Sent {contact} the onboarding plan for {account}: data import in week one, training "
        "for the sales team in week two.",
    ),
    Scene(
        "meeting", "out", "interested", 3, (12, 30), 60,
        "Discovery meeting at {account}",
        "Met {contact} and their operations lead. They track service requests in a shared "
        "spreadsheet and want a demo of tasks and reports.",
    ),
    Scene(
        "call", "in", "follow_up", 1, (17, 10), 6,
        "Question about the support hours",
        "{contact} asked whether support covers Fridays; promised to check with the service "
        "team.",
    ),
]  # fmt: skip

ENGLISH_JOBS = [
    Job(
        "Call {contact} back – {account}",
        "They asked about splitting the payment.",
        "call_back", "high", -2, (12, 0),
    ),
    Job(
        "Send the updated quote to {account}",
        "Three payments, same total.",
        "send_quote", "normal", 0, (16, 0),
    ),
    Job(
        "Book a product demo with {contact}",
        "",
        "meeting", "normal", 2, (10, 0),
    ),
]  # fmt: skip

HANDOVERS = [
    # Sales north: Samer hands his reps each other's customers, and was told one is done.
    Handover(
        "samer", "omer", "noa", 0,
        Job("לבקר ב{account} במקום נועה", "נועה בחופשה השבוע; הלקוח מחכה להדגמה.",
            "meeting", "high", 1, (11, 0)),
    ),
    Handover(
        "samer", "noa", "omer", 0,
        Job("להכין הצעת מחיר ל{account}", "עומר ביקש עזרה; לפי המחירון של הצפון.",
            "send_quote", "normal", 0, (15, 30)),
    ),
    Handover(
        "samer", "omer", "noa", 1,
        Job("לעדכן את פרטי איש הקשר ב{account}", "", "general", "low", -1, (12, 0)),
        done=True,
    ),
    # Sales center: Michal.
    Handover(
        "michal", "itay", "shira", 0,
        Job("להחזיר שיחה ל{contact} – {account}", "שירה בהדרכה כל היום.",
            "call_back", "urgent", 0, (13, 0)),
    ),
    Handover(
        "michal", "shira", "itay", 0,
        Job("לבדוק עיכוב באספקה ל{account}", "", "follow_up", "high", -1, (16, 0)),
    ),
    Handover(
        "michal", "david", "shira", 1,
        Job("Call {contact} at {account} about the delayed delivery",
            "Shira is at a training day.", "call_back", "high", 1, (9, 30)),
    ),
    Handover(
        "michal", "shira", "itay", 1,
        Job("לשלוח ל{account} את תנאי האחריות", "", "general", "normal", -2, (10, 0)),
        done=True,
    ),
    # The VP of sales and the CEO.
    Handover(
        "moshe", "samer", "omer", 2,
        Job("לבדוק למה ההצעה ל{account} תקועה", "הלקוח לא ענה שבועיים.",
            "follow_up", "high", 1, (10, 0)),
    ),
    Handover(
        "moshe", "michal", "itay", 2,
        Job("לאשר הנחה לחידוש של {account}", "", "follow_up", "normal", 0, (12, 0)),
    ),
    Handover(
        "moshe", "samer", "noa", 2,
        Job("לשלוח לי את רשימת הלקוחות בצפון ללא קשר חודש", "", "general", "low", -2, (9, 0)),
        done=True,
    ),
    Handover(
        "ronit", "moshe", "ronit", 0,
        Job("להכין הצעה להרחבת ההתקשרות עם {account}", "סניף שלישי; חבילת שירות מורחבת.",
            "send_quote", "high", 2, (12, 0)),
    ),
    Handover(
        "ronit", "yael", "ronit", 1,
        Job("לשבץ איש קשר ייעודי ל{account}", "הבטחתי להם בשיחת השימור.",
            "general", "high", 0, (14, 0)),
    ),
    Handover(
        "ronit", "admin", None, 0,
        Job("לפתוח משתמש לנציגת השירות החדשה", "מתחילה ביום ראשון; תפקיד נציג שירות.",
            "general", "normal", 1, (9, 0)),
    ),
    Handover(
        "ronit", "admin", None, 0,
        Job("להפיק דוח משימות פתוחות לפי צוות", "", "general", "normal", -1, (15, 0)),
        done=True,
    ),
    Handover(
        "ronit", "gil", "ronit", 2,
        Job("להכין דוח גבייה על {account}", "כולל חשבוניות פתוחות מעל 60 יום.",
            "general", "high", 0, (16, 0)),
    ),
    Handover(
        "ronit", "gil", None, 0,
        Job("לאשר את תקציב השיווק לרבעון הבא", "", "general", "normal", -1, (12, 0)),
    ),
    Handover(
        "ronit", "orit", "ronit", 2,
        Job("לשלוח ל{account} העתק של חשבונית אוקטובר", "", "general", "normal", 0, (11, 0)),
    ),
    Handover(
        "ronit", "orit", None, 0,
        Job("להתאים את דוח הבנק לחודש שעבר", "", "general", "high", -2, (17, 0)),
    ),
    Handover(
        "ronit", "orit", None, 0,
        Job("לעדכן את טבלת תנאי התשלום של הלקוחות", "", "general", "low", 3, (10, 0)),
    ),
    # Service: Yael hands her agents work, and was told one is done.
    Handover(
        "yael", "alon", "hadas", 0,
        Job("לבדוק את הגיבוי של השרת ב{account}", "הדס בביקור טכנאי.",
            "general", "high", 0, (11, 0)),
    ),
    Handover(
        "yael", "hadas", "alon", 0,
        Job("להחזיר שיחה ל{contact} – {account}", "", "call_back", "urgent", -1, (9, 30)),
    ),
    Handover(
        "yael", "hadas", "alon", 1,
        Job("לשלוח ל{account} סקר שביעות רצון", "", "general", "low", -1, (14, 0)),
        done=True,
    ),
]  # fmt: skip


def _meet(time: tuple[int, int], minutes: int, subject: str, body: str = "") -> Scene:
    """A meeting's scene (its day comes from the ``Meeting``)."""
    return Scene("meeting", "", "", 0, time, minutes, subject, body)


_TEAM = _meet((9, 0), 45, "ישיבת צוות שבועית", "עדכון עסקאות פתוחות, משימות באיחור ויעדים לשבוע.")
_SERVICE = _meet((8, 30), 30, "סקירת קריאות שירות פתוחות", "קריאות מעל 48 שעות ושיבוץ טכנאים.")
_MANAGEMENT = _meet((10, 0), 60, "ישיבת הנהלה שבועית", "מכירות, שירות, גבייה; גיוס לצוות השירות.")

MEETINGS = [
    # This week: the teams, the management, customers' meetings with a colleague invited.
    Meeting("samer", "samer", _TEAM, ("omer", "noa"), in_days=1),
    Meeting("michal", "michal", _TEAM, ("itay", "shira", "david"), in_days=1),
    Meeting("yael", "yael", _SERVICE, ("alon", "hadas"), in_days=2),
    Meeting("ronit", "ronit", _MANAGEMENT, ("moshe", "yael", "gil", "admin"), in_days=2),
    Meeting(
        "ronit", "ronit",
        _meet((14, 0), 45, "סגירת חודש – גבייה", "חובות לקוחות מעל 60 יום ותחזית תזרים."),
        ("gil", "orit"), in_days=3,
    ),
    Meeting(
        "omer", "omer",
        _meet((11, 0), 60, "הדגמת המערכת ב{account}", "הדגמה של המשימות והדוחות למנהל התפעול."),
        ("samer",), "omer", 1, in_days=2,
    ),
    Meeting(
        "noa", "noa", _meet((13, 30), 45, "פגישת חידוש חוזה – {account}"),
        ("omer",), "noa", 2, in_days=3,
    ),
    Meeting(
        "itay", "itay", _meet((10, 30), 60, "פגישת היכרות ב{account}"),
        ("shira",), "itay", 1, in_days=1,
    ),
    Meeting(
        "shira", "shira", _meet((15, 0), 60, "סגירת עסקה עם {account}", "להביא את ההסכם לחתימה."),
        ("michal",), "shira", 2, in_days=2,
    ),
    Meeting(
        "david", "david", _meet((12, 0), 45, "Quarterly review with {account}"),
        ("itay",), "david", 1, in_days=3,
    ),
    Meeting(
        "alon", "alon",
        _meet((9, 0), 120, "ביקור טכנאי ב{account}", "החלפת נתב והגדרת רשת אורחים."),
        ("hadas",), "alon", 2, in_days=1,
    ),
    # Next week: meetings a colleague booked for someone (the back office books for the field,
    # REQ SA-13), and the quarterly reviews.
    Meeting(
        "samer", "omer",
        _meet((10, 0), 60, "פגישה עם {contact} ב{account}", "הלקוח ביקש לפגוש את מנהל הצוות."),
        ("samer",), "omer", 3, next_week=True, weekday=0,
    ),
    Meeting(
        "samer", "noa", _meet((14, 0), 60, "הדגמה ב{account}"),
        (), "noa", 3, next_week=True, weekday=1,
    ),
    Meeting(
        "michal", "itay", _meet((11, 0), 60, "חידוש חוזה – {account}"),
        ("michal",), "itay", 3, next_week=True, weekday=6,
    ),
    Meeting(
        "michal", "shira", _meet((9, 30), 45, "הדרכת משתמשים ב{account}"),
        (), "shira", 3, next_week=True, weekday=0,
    ),
    Meeting(
        "michal", "david", _meet((13, 0), 60, "Product demo at {account}"),
        ("michal",), "david", 2, next_week=True, weekday=1,
    ),
    Meeting(
        "moshe", "moshe",
        _meet((10, 0), 90, "סקירת מכירות רבעונית", "כל צוות מציג עסקאות פתוחות ותחזית."),
        ("samer", "michal", "ronit"), next_week=True, weekday=6,
    ),
    Meeting(
        "yael", "hadas",
        _meet((10, 0), 90, "ביקור שירות ב{account}", "בדיקה תקופתית של העמדות והגיבויים."),
        (), "alon", 1, next_week=True, weekday=0,
    ),
    Meeting(
        "admin", "admin",
        _meet((13, 0), 60, "הדרכה על תהליך האישורים", "איך מבקשים אישור הנחה ואיך מאשרים."),
        ("yael", "alon", "hadas", "moshe"), next_week=True, weekday=1,
    ),
    Meeting(
        "ronit", "ronit",
        _meet((9, 0), 120, "סקירה רבעונית עם הכספים", "תוצאות הרבעון ותקציב השנה הבאה."),
        ("gil", "orit", "moshe"), next_week=True, weekday=2,
    ),
]  # fmt: skip

PAST_MEETINGS = [
    PastMeeting(
        "ronit",
        Scene("meeting", "", "", 2, (9, 0), 60, "ישיבת תקציב", "תקציב השיווק והגיוס לרבעון הבא."),
        ("gil", "orit", "moshe"),
    ),
]

APPROVALS = [
    # Exceptional discounts: waiting for the team managers, one approved, one rejected.
    Round("omer", 0, "discount"),
    Round("itay", 0, "discount"),
    Round("noa", 1, "discount", (("samer", "approve", "מאושר, בתנאי שהחוזה לשנתיים."),)),
    Round("shira", 0, "discount", (("michal", "reject", "15% זה המקסימום ללקוח בגודל הזה."),)),
    Round("david", 0, "discount", (("michal", "approve", ""),)),
    Round("samer", 0, "discount"),
    # Annual framework agreements: one waits for the VP, one (he approved) for the CEO.
    Round("shira", 1, "framework"),
    Round("michal", 0, "framework", (("moshe", "approve", "ממליץ לאשר."),)),
]

# The quotes the reps sent this week (the ``which``-th customer each handles): the automation
# rule follows each one up.
QUOTE_SENT = Job(
    "לשלוח הצעת מחיר ל{account}",
    "לפי המחירון; לצרף את תנאי השירות.",
    "send_quote", "normal", -1, (12, 0),
)  # fmt: skip
QUOTES_SENT = (("omer", 1), ("noa", 2), ("itay", 2), ("shira", 3))

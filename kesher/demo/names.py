"""Word lists the demo data is drawn from: Israeli names (with the Latin spelling used for
email addresses), business names, cities and streets, job titles, tags and notes.

Every Hebrew name carries its own transliteration, so an address such as
``yossi.cohen@bareket-tech.example`` reads like the person's real one. All email and web
domains end in ``.example`` or are ``example.com/net/org`` (RFC 2606): demo mail can never
reach a real inbox.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ACCOUNT_NOTES",
    "BRANDS",
    "CITIES",
    "CONTACT_NOTES",
    "DISTRICTS",
    "ENGLISH_FEMALE_FIRST",
    "ENGLISH_LAST",
    "ENGLISH_MALE_FIRST",
    "ENGLISH_ORG_KINDS",
    "ENGLISH_ORG_WORDS",
    "EXTERNAL_ROLES",
    "FAMILY_NAMES",
    "FEMALE_FIRST",
    "GENERAL_ROLES",
    "MALE_FIRST",
    "ORG_PATTERNS",
    "PERSONAL_EMAIL_DOMAINS",
    "REGIONAL_COUNCILS",
    "RELATIONSHIP_NOTES",
    "SPOUSE_ROLE",
    "TAGS",
    "City",
    "OrgPattern",
]

# (Hebrew, Latin) — the Latin spelling is what the person would use in an email address.
MALE_FIRST = [
    ("יוסי", "yossi"),
    ("משה", "moshe"),
    ("דוד", "david"),
    ("אברהם", "avraham"),
    ("יעקב", "yaakov"),
    ("איתי", "itay"),
    ("עומר", "omer"),
    ("אלון", "alon"),
    ("רועי", "roi"),
    ("גיל", "gil"),
    ("אורי", "uri"),
    ("נועם", "noam"),
    ("אמיר", "amir"),
    ("יונתן", "yonatan"),
    ("דניאל", "daniel"),
    ("אריאל", "ariel"),
    ("שלמה", "shlomo"),
    ("חיים", "haim"),
    ("רפאל", "refael"),
    ("עידו", "ido"),
    ("תומר", "tomer"),
    ("ניר", "nir"),
    ("אבי", "avi"),
    ("ערן", "eran"),
    ("אסף", "asaf"),
    ("צחי", "tzahi"),
    ("שמעון", "shimon"),
    ("אליהו", "eliyahu"),
    ("מוחמד", "muhammad"),
    ("אחמד", "ahmad"),
    ("סאמר", "samer"),
    ("ח'אלד", "khaled"),
    ("ג'ורג'", "george"),
    ("בוריס", "boris"),
    ("דמיטרי", "dmitri"),
    ("יגאל", "yigal"),
    ("עמית", "amit"),
    ("אלעד", "elad"),
]

FEMALE_FIRST = [
    ("רונית", "ronit"),
    ("מיכל", "michal"),
    ("נועה", "noa"),
    ("שירה", "shira"),
    ("יעל", "yael"),
    ("הדס", "hadas"),
    ("אורית", "orit"),
    ("תמר", "tamar"),
    ("מאיה", "maya"),
    ("רחל", "rachel"),
    ("שרה", "sarah"),
    ("לאה", "leah"),
    ("אסתר", "ester"),
    ("דנה", "dana"),
    ("ליאת", "liat"),
    ("קרן", "keren"),
    ("סיגל", "sigal"),
    ("אפרת", "efrat"),
    ("עדי", "adi"),
    ("ענבל", "inbal"),
    ("מירב", "meirav"),
    ("אביגיל", "avigail"),
    ("רות", "ruth"),
    ("חן", "hen"),
    ("גלית", "galit"),
    ("הילה", "hila"),
    ("רים", "reem"),
    ("לינה", "lina"),
    ("סמאח", "samah"),
    ("נטליה", "natalia"),
    ("אולגה", "olga"),
    ("טל", "tal"),
    ("שני", "shani"),
    ("מורן", "moran"),
]

FAMILY_NAMES = [
    ("כהן", "cohen"),
    ("לוי", "levi"),
    ("מזרחי", "mizrahi"),
    ("פרץ", "peretz"),
    ("ביטון", "biton"),
    ("דהן", "dahan"),
    ("אברהם", "avraham"),
    ("פרידמן", "friedman"),
    ("אגבאריה", "agbaria"),
    ("חורי", "khoury"),
    ("אזולאי", "azulay"),
    ("מלכה", "malka"),
    ("שפירא", "shapira"),
    ("גבאי", "gabay"),
    ("אוחנה", "ohana"),
    ("קליין", "klein"),
    ("רוזנברג", "rosenberg"),
    ("שטרן", "stern"),
    ("גולן", "golan"),
    ("ברק", "barak"),
    ("כץ", "katz"),
    ("יוסף", "yosef"),
    ("נחום", "nahum"),
    ("שלום", "shalom"),
    ("חדד", "hadad"),
    ("עמר", "amar"),
    ("בן דוד", "ben-david"),
    ("שמעוני", "shimoni"),
    ("רוזן", "rozen"),
    ("וייס", "weiss"),
    ("גרינברג", "greenberg"),
    ("סויסה", "suissa"),
    ("אשכנזי", "ashkenazi"),
    ("זילברמן", "zilberman"),
    ("קוגן", "kogan"),
    ("נסאר", "nassar"),
    ("עבאס", "abbas"),
    ("חביב", "haviv"),
    ("בן שושן", "ben-shushan"),
    ("טייב", "taieb"),
    ("אלמוג", "almog"),
    ("סלאמה", "salameh"),
]

ENGLISH_MALE_FIRST = ["David", "Michael", "Jonathan", "Daniel", "Benjamin", "Adam", "Ethan"]
ENGLISH_FEMALE_FIRST = ["Sarah", "Rachel", "Emily", "Hannah", "Rebecca", "Naomi", "Julia"]
ENGLISH_LAST = [
    "Miller",
    "Goldberg",
    "Shapiro",
    "Brown",
    "Levy",
    "Adler",
    "Fischer",
    "Roth",
    "Walker",
    "Bennett",
    "Harris",
    "Stein",
]

# Brand-like Hebrew words businesses are named after.
BRANDS = [
    ("ברקת", "bareket"),
    ("נטע", "neta"),
    ("אלפא", "alpha"),
    ("שחר", "shahar"),
    ("כרמל", "carmel"),
    ("תבור", "tavor"),
    ("ארבל", "arbel"),
    ("נגב", "negev"),
    ("אורן", "oren"),
    ("רימון", "rimon"),
    ("אלמוג", "almog"),
    ("ענן", "anan"),
    ("פסגה", "pisga"),
    ("חרמון", "hermon"),
    ("קשת", "keshet"),
    ("להב", "lahav"),
    ("מגדל", "migdal"),
    ("שקד", "shaked"),
    ("זית", "zayit"),
    ("גפן", "gefen"),
    ("דקל", "dekel"),
    ("סלע", "sela"),
    ("יהלום", "yahalom"),
    ("אשל", "eshel"),
    ("נחשון", "nachshon"),
    ("רקיע", "rakia"),
]

REGIONAL_COUNCILS = [
    ("גליל עליון", "galil-elyon"),
    ("עמק יזרעאל", "emek-yizrael"),
    ("מטה יהודה", "mateh-yehuda"),
    ("חוף הכרמל", "hof-hacarmel"),
    ("שער הנגב", "shaar-hanegev"),
    ("גזר", "gezer"),
    ("דרום השרון", "drom-hasharon"),
    ("מגידו", "megiddo"),
]


@dataclass(frozen=True)
class OrgPattern:
    """A kind of Israeli business: how it is named, its web slug, industry and first contact.

    ``name`` and ``slug`` are templates over ``{family}``, ``{family2}``, ``{brand}`` and
    ``{council}`` (Latin forms in the slug). ``number_prefix`` starts its company number
    (51 private company, 55 partnership, 50 public body; None: a sole trader without one).
    ``head_roles`` are the titles of the person who runs it, as in ``GENERAL_ROLES``.
    """

    name: str
    slug: str
    industry: str
    weight: int
    number_prefix: str | None
    head_roles: tuple[tuple[str, str], ...]


CEO = ('מנכ"ל', 'מנכ"לית', "CEO")
OWNER = ("בעלים", "בעלים", "Owner")
MANAGING_PARTNER = ("שותף מנהל", "שותפה מנהלת", "Managing partner")

ORG_PATTERNS = [
    OrgPattern("{family} ושות' בע\"מ", "{family}-co", "services", 7, "51", (CEO, OWNER)),
    OrgPattern('{brand} טכנולוגיות בע"מ', "{brand}-tech", "tech", 8, "51", (CEO,)),
    OrgPattern('{brand} מערכות מידע בע"מ', "{brand}-systems", "tech", 5, "51", (CEO,)),
    OrgPattern('{brand} סחר ושיווק בע"מ', "{brand}-trade", "retail", 6, "51", (CEO, OWNER)),
    OrgPattern("סופר {brand}", "super-{brand}", "retail", 3, None, (OWNER,)),
    OrgPattern("מסעדת {brand}", "{brand}-restaurant", "food", 5, None, (OWNER,)),
    OrgPattern("קפה {brand}", "cafe-{brand}", "food", 3, None, (OWNER,)),
    OrgPattern("מאפיית {family}", "{family}-bakery", "food", 3, "51", (OWNER,)),
    OrgPattern(
        "{family}, {family2} ושות' – עורכי דין",
        "{family}-{family2}-law",
        "services",
        5,
        "55",
        (MANAGING_PARTNER,),
    ),
    OrgPattern(
        "{family} ושות' – רואי חשבון", "{family}-cpa", "finance", 4, "55", (MANAGING_PARTNER,)
    ),
    OrgPattern('{brand} ביטוח ופיננסים בע"מ', "{brand}-finance", "finance", 3, "51", (CEO,)),
    OrgPattern('{brand} בנייה והשקעות בע"מ', "{brand}-build", "construction", 5, "51", (CEO,)),
    OrgPattern('{family} נדל"ן', "{family}-realestate", "construction", 3, None, (OWNER,)),
    OrgPattern('מפעלי {brand} בע"מ', "{brand}-industries", "manufacturing", 4, "51", (CEO,)),
    OrgPattern('{family} מתכות בע"מ', "{family}-metal", "manufacturing", 3, "51", (CEO, OWNER)),
    OrgPattern(
        'מרפאת שיניים ד"ר {family}',
        "dr-{family}-dental",
        "health",
        3,
        None,
        (("רופא", "רופאה", "Dentist"),),
    ),
    OrgPattern('מרכז רפואי {brand} בע"מ', "{brand}-medical", "health", 2, "51", (CEO,)),
    OrgPattern(
        "מכללת {brand}", "{brand}-college", "education", 2, "51", (("נשיא", "נשיאה", "President"),)
    ),
    OrgPattern(
        "מועצה אזורית {council}",
        "{council}-council",
        "public",
        2,
        "50",
        (("ראש המועצה", "ראשת המועצה", "Council head"),),
    ),
    OrgPattern('{brand} לוגיסטיקה בע"מ', "{brand}-logistics", "services", 3, "51", (CEO,)),
]

# English-named customers: "<word> <word> <kind>".
ENGLISH_ORG_WORDS = [
    ("Blue", "Harbor"),
    ("Silver", "Peak"),
    ("Bright", "Bridge"),
    ("Green", "Field"),
    ("Swift", "Wave"),
    ("Clear", "Stone"),
    ("North", "Star"),
    ("Red", "Cedar"),
]
ENGLISH_ORG_KINDS = [
    ("Software Ltd", "tech"),
    ("Analytics", "tech"),
    ("Logistics Ltd", "services"),
    ("Medical Devices Ltd", "health"),
    ("Consulting", "services"),
    ("Capital Partners", "finance"),
]

# Job titles at a customer beside the head of the business: (Hebrew for a man, Hebrew for a
# woman, English for an English-named contact).
GENERAL_ROLES = [
    ('סמנכ"ל כספים', 'סמנכ"לית כספים', "CFO"),
    ("מנהל רכש", "מנהלת רכש", "Purchasing manager"),
    ("חשב", "חשבת", "Controller"),
    ("מנהל משרד", "מנהלת משרד", "Office manager"),
    ("מנהל תפעול", "מנהלת תפעול", "Operations manager"),
    ("מנהל מערכות מידע", "מנהלת מערכות מידע", "IT manager"),
    ("מנהל מכירות", "מנהלת מכירות", "Sales manager"),
    ("מנהל חשבונות", "מנהלת חשבונות", "Bookkeeper"),
    ("אחראי שירות", "אחראית שירות", "Customer service lead"),
    ("יועץ משפטי", "יועצת משפטית", "Legal counsel"),
    ("מזכיר", "מזכירה", "Secretary"),
    ("מנהל פרויקטים", "מנהלת פרויקטים", "Project manager"),
]
EXTERNAL_ROLES = [
    ("רואה חשבון חיצוני", "רואת חשבון חיצונית", "External accountant"),
    ("יועץ", "יועצת", "Consultant"),
]
SPOUSE_ROLE = ("בן זוג", "בת זוג", "Spouse")

PERSONAL_EMAIL_DOMAINS = ["example.com", "example.net", "example.org"]


@dataclass(frozen=True)
class City:
    """An Israeli city: landline area code, the first two digits of its zip codes, the sales
    region that serves it, a few of its real streets, and how often customers are there."""

    name: str
    area_code: str
    zip_prefix: str
    region: str
    streets: tuple[str, ...]
    weight: int


CITIES = [
    City(
        "ירושלים",
        "02",
        "94",
        "center",
        ("יפו", "המלך ג'ורג'", "עמק רפאים", "בן יהודה", "אגריפס", "בית הדפוס", "כנפי נשרים"),
        14,
    ),
    City(
        "תל אביב-יפו",
        "03",
        "64",
        "center",
        ("רוטשילד", "דיזנגוף", "אבן גבירול", "אלנבי", "הרכבת", "יגאל אלון", "מנחם בגין"),
        18,
    ),
    City("חיפה", "04", "33", "north", ("הנביאים", "חורב", "מוריה", "שדרות הנשיא", "הרצל"), 10),
    City("באר שבע", "08", "84", "center", ("שדרות רגר", "הרצל", "טוביהו", "מבצע עובדה"), 6),
    City("ראשון לציון", "03", "75", "center", ("רוטשילד", "הרצל", "ז'בוטינסקי", "סחרוב"), 6),
    City("פתח תקווה", "03", "49", "center", ("ז'בוטינסקי", "חיים עוזר", "רוטשילד", "אחד העם"), 6),
    City("נתניה", "09", "42", "center", ("הרצל", "שדרות בנימין", "ויצמן", "פינסקר"), 5),
    City("אשדוד", "08", "77", "center", ("שדרות הרצל", "מנחם בגין", "רוגוזין", "הבנים"), 4),
    City("חולון", "03", "58", "center", ("סוקולוב", "אילת", "המרכבה", "ההסתדרות"), 3),
    City("רמת גן", "03", "52", "center", ("ז'בוטינסקי", "ביאליק", "דרך אבא הלל", "הרואה"), 5),
    City("הרצליה", "09", "46", "center", ("סוקולוב", "המדע", "אבא אבן", "שנקר"), 4),
    City("כפר סבא", "09", "44", "center", ("ויצמן", "רוטשילד", "טשרניחובסקי", 'התע"ש'), 3),
    City("רחובות", "08", "76", "center", ("הרצל", 'ביל"ו', "יעקב", "הנשיא הראשון"), 3),
    City("נצרת", "04", "16", "north", ("פאולוס השישי", "תאופיק זיאד"), 3),
    City("טבריה", "04", "14", "north", ("הגליל", "הבנים", "הירדן"), 2),
    City("עפולה", "04", "18", "north", ("יהושע חנקין", "ארלוזורוב", "שדרות העצמאות"), 2),
    City("כרמיאל", "04", "21", "north", ("נשיאי ישראל", "החרושת", 'שדרות קק"ל'), 2),
    City("אילת", "08", "88", "center", ("התמרים", "המלאכה", "שדרות התמרים"), 1),
]

# Each city's district, by the English name of the region Kesher seeds (REQ SA-12).
DISTRICTS = {
    "ירושלים": "Jerusalem",
    "תל אביב-יפו": "Tel Aviv",
    "חיפה": "Haifa",
    "באר שבע": "South",
    "ראשון לציון": "Center",
    "פתח תקווה": "Center",
    "נתניה": "Center",
    "אשדוד": "South",
    "חולון": "Tel Aviv",
    "רמת גן": "Tel Aviv",
    "הרצליה": "Tel Aviv",
    "כפר סבא": "Center",
    "רחובות": "Center",
    "נצרת": "North",
    "טבריה": "North",
    "עפולה": "North",
    "כרמיאל": "North",
    "אילת": "South",
}

TAGS = [
    "לקוח אסטרטגי",
    "מכרז",
    "חשבונית דיגיטלית",
    "שוטף+60",
    "דובר אנגלית",
    "דורש ליווי צמוד",
    "פוטנציאל הרחבה",
]

ACCOUNT_NOTES = [
    "מעדיפים שיחה בבוקר, לא לפני 9:00.",
    "ביקשו הצעת מחיר מעודכנת לרבעון הבא.",
    "החשבוניות נשלחות לכתובת של הנהלת החשבונות בלבד.",
    "נפגשנו בתערוכה בגני התערוכה, מתעניינים בחבילה המורחבת.",
    "לקוח ותיק, עובד איתנו משנת 2016.",
    "ההחלטות מתקבלות רק אחרי אישור הדירקטוריון.",
    "להזכיר להם את חידוש החוזה חודש לפני תום התקופה.",
    "Prefers email in English; decisions are made at the US headquarters.",
]

CONTACT_NOTES = [
    "זמינה בעיקר בוואטסאפ.",
    "לא להתקשר בימי שישי.",
    "מקבל ההחלטות בנושאי רכש.",
    "הכרנו דרך הכנס השנתי של איגוד לשכות המסחר.",
    "מבקש לקבל סיכום בכתב אחרי כל פגישה.",
]

RELATIONSHIP_NOTES = {
    "parent": "מחזיקה 100% מהמניות",
    "referred": "המליץ עלינו בשיחה טלפונית",
    "partner": "שיתוף פעולה במכרז משותף",
    "competitor": "מתחרה ישיר באזור המרכז",
    "works_with": "עובדים יחד על פרויקט ההטמעה",
    "supplier": "ספק קבוע של חומרי גלם",
}

"""The demo organization: two companies, a department tree and a user in every built-in role.

Fixed rather than random, so the people to sign in as are the same in every demo and can be
printed (and documented) once (REQ OR-1, OR-3, OR-4).
"""

from __future__ import annotations

from dataclasses import dataclass

from stdnum import luhn
from stdnum.il import hp

__all__ = [
    "COMPANIES",
    "DEMO_ADMIN",
    "DEMO_DOMAIN",
    "DEMO_PASSWORD",
    "DEPARTMENTS",
    "SERVICE_MANAGER",
    "USERS",
    "DemoCompany",
    "DemoDepartment",
    "DemoUser",
    "company_number",
]

# Printed by ``load_demo`` and shared by every demo user: the demo is for trying Kesher on
# one's own machine, never for an install reachable by others.
DEMO_PASSWORD = "kesher-demo"  # noqa: S105 - a documented, public demo password
DEMO_ADMIN = "admin"
DEMO_DOMAIN = "gilboa-solutions.example"


def company_number(first_eight: str) -> str:
    """A valid Israeli company number (ח.פ.): eight digits and their Luhn check digit."""
    return hp.validate(first_eight + luhn.calc_check_digit(first_eight))


@dataclass(frozen=True)
class DemoCompany:
    """A legal entity of the demo organization (REQ OR-4)."""

    key: str
    name: str
    number_base: str
    phone: str
    email: str
    address: str

    @property
    def company_number(self) -> str:
        return company_number(self.number_base)


COMPANIES = [
    DemoCompany(
        "solutions",
        'גלבוע פתרונות עסקיים בע"מ',
        "51512873",
        "03-7441200",
        f"office@{DEMO_DOMAIN}",
        "דרך מנחם בגין 132, תל אביב-יפו",
    ),
    DemoCompany(
        "support",
        'גלבוע שירותי תמיכה בע"מ',
        "51561204",
        "04-8559300",
        f"support@{DEMO_DOMAIN}",
        "שדרות הנשיא 45, חיפה",
    ),
]


# The service department owns no customers, so a manager's department scope would show its
# manager none: the demo adds a role that sees every customer, as support agents do, and
# manages the team's tasks and interactions (REQ OR-3: roles are the administrator's to shape).
SERVICE_MANAGER = ("service_manager", "מנהל שירות", "Service manager")


@dataclass(frozen=True)
class DemoDepartment:
    """A node of the department tree; ``manager`` is a demo username."""

    key: str
    name: str
    parent: str | None
    manager: str


DEPARTMENTS = [
    DemoDepartment("management", "הנהלה", None, "ronit"),
    DemoDepartment("sales", "מכירות", "management", "moshe"),
    DemoDepartment("sales_north", "מכירות צפון", "sales", "samer"),
    DemoDepartment("sales_center", "מכירות מרכז", "sales", "michal"),
    DemoDepartment("service", "שירות לקוחות", "management", "yael"),
    DemoDepartment("finance", "כספים", "management", "gil"),
]


@dataclass(frozen=True)
class DemoUser:
    """A person of the demo organization who signs in with the demo password."""

    username: str
    first_name: str
    last_name: str
    role: str
    department: str
    title: str
    companies: tuple[str, ...]
    phone: str
    language: str = "he"
    is_superuser: bool = False
    is_active: bool = True

    @property
    def email(self) -> str:
        return f"{self.username}@{DEMO_DOMAIN}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


BOTH = ("solutions", "support")
SOLUTIONS = ("solutions",)
SUPPORT = ("support",)

USERS = [
    DemoUser(
        DEMO_ADMIN,
        "אבי",
        "לוי",
        "admin",
        "management",
        "מנהל מערכת",
        BOTH,
        "052-4100101",
        is_superuser=True,
    ),
    DemoUser("ronit", "רונית", "שמעוני", "manager", "management", 'מנכ"לית', BOTH, "052-4100138"),
    DemoUser(
        "moshe", "משה", "ביטון", "manager", "sales", 'סמנכ"ל מכירות', SOLUTIONS, "052-4100175"
    ),
    DemoUser(
        "samer",
        "סאמר",
        "חורי",
        "manager",
        "sales_north",
        "מנהל מכירות צפון",
        SOLUTIONS,
        "052-4100212",
    ),
    DemoUser(
        "michal",
        "מיכל",
        "דהן",
        "manager",
        "sales_center",
        "מנהלת מכירות מרכז",
        SOLUTIONS,
        "052-4100249",
    ),
    DemoUser(
        "omer", "עומר", "פרץ", "sales_rep", "sales_north", "איש מכירות", SOLUTIONS, "052-4100286"
    ),
    DemoUser(
        "noa", "נועה", "מזרחי", "sales_rep", "sales_north", "אשת מכירות", SOLUTIONS, "052-4100323"
    ),
    DemoUser(
        "itay", "איתי", "גולן", "sales_rep", "sales_center", "איש מכירות", SOLUTIONS, "052-4100360"
    ),
    DemoUser("shira", "שירה", "כץ", "sales_rep", "sales_center", "אשת מכירות", BOTH, "052-4100397"),
    DemoUser(
        "david",
        "David",
        "Miller",
        "sales_rep",
        "sales_center",
        "Account executive",
        BOTH,
        "052-4100434",
        language="en",
    ),
    DemoUser(
        "yael",
        "יעל",
        "אוחנה",
        "service_manager",
        "service",
        "מנהלת שירות לקוחות",
        SUPPORT,
        "052-4100471",
    ),
    DemoUser(
        "alon", "אלון", "ברק", "support_agent", "service", "נציג שירות", SUPPORT, "052-4100508"
    ),
    DemoUser(
        "hadas", "הדס", "נחום", "support_agent", "service", "נציגת שירות", SUPPORT, "052-4100545"
    ),
    DemoUser("gil", "גיל", "רוזן", "read_only", "finance", 'סמנכ"ל כספים', BOTH, "052-4100582"),
    # Keeps the books, and answers people's requests about their data (issue 25).
    DemoUser(
        "orit",
        "אורית",
        "שלום",
        "privacy_officer",
        "finance",
        "ממונת הגנת הפרטיות",
        BOTH,
        "052-4100619",
    ),
    # Left the company: cannot sign in nor own records, but stays in the history.
    DemoUser(
        "yossi",
        "יוסי",
        "אזולאי",
        "sales_rep",
        "sales_center",
        "איש מכירות",
        SOLUTIONS,
        "052-4100656",
        is_active=False,
    ),
]

"""Installable kinds of record from seed 003's list of areas organizations bring to their CRM
(issue 27 item 4): a kind with its fields, statuses and automation, installed in one click
through the same services as the definition pages and the API — in one transaction, so a
template that does not fit installs nothing and says why."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kesher.objects.models import CustomObject
from kesher.objects.schema import custom_object_create
from kesher.platform.customfields.schema import custom_field_create
from kesher.platform.models import Choice
from kesher.platform.records.services import record_create
from kesher.platform.registry import registry

__all__ = ["BLUEPRINTS", "Blueprint", "blueprint_for", "blueprint_install"]


@dataclass(frozen=True)
class Blueprint:
    key: str  # the kind's key, and the template's
    name: object
    description: object
    definition: dict
    # (key, Hebrew label, English label, type, extra definition values)
    fields: tuple[tuple[str, str, str, str, dict], ...]
    # (value, Hebrew, English, colour); the first is new records' default
    statuses: tuple[tuple[str, str, str, str], ...] = ()
    # Other entities' records to make after the kinds: (entity key, data, ref); a value
    # "@ref" in a later part stands for the id of the record made under that ref.
    parts: tuple[tuple[str, dict, str], ...] = ()
    # Further kinds the template defines after its own, whose fields may link to it (a
    # course's enrolments); each installs with its fields and statuses, never its own parts.
    kinds: tuple[Blueprint, ...] = ()

    @property
    def installed(self) -> bool:
        return CustomObject.objects.filter(key=self.key).exists()


CONTRACTS = Blueprint(
    key="contracts",
    name=gettext_lazy("Contracts"),
    description=gettext_lazy(
        "Customer contracts with start, end and renewal dates, value and terms; the owner "
        "gets a task 30 days before the renewal date."
    ),
    definition={
        "name_he": "חוזה",
        "name_en": "Contract",
        "plural_he": "חוזים",
        "plural_en": "Contracts",
        "icon": "📄",
        "has_owner": True,
        "has_status": True,
        "nav_order": 70,
    },
    fields=(
        ("account", "לקוח", "Account", "link", {"link_entity": "accounts", "required": True}),
        ("start_date", "תאריך התחלה", "Start date", "date", {"required": True}),
        ("end_date", "תאריך סיום", "End date", "date", {}),
        ("renewal_date", "תאריך חידוש", "Renewal date", "date", {}),
        ("value", "שווי שנתי", "Yearly value", "money", {}),
        ("sla_terms", "תנאי שירות (SLA)", "Service terms (SLA)", "long_text", {}),
    ),
    statuses=(
        ("draft", "טיוטה", "Draft", "secondary"),
        ("active", "בתוקף", "In force", "success"),
        ("renewal", "בחידוש", "Being renewed", "warning"),
        ("ended", "הסתיים", "Ended", "dark"),
    ),
    parts=(
        (
            "task-templates",
            {
                "name": "חוזים: חידוש חוזה",
                "task_type": "follow_up",
                "title": "לחדש את החוזה {{name}}",
                "priority": "high",
                "due_offset": 7,
                "due_unit": "days",
                "assignee_rule": "owner",
            },
            "renew_task",
        ),
        (
            "automation-rules",
            {
                "name": "חוזים: תזכורת חידוש 30 יום לפני",
                "description": "30 יום לפני תאריך החידוש של חוזה, משימה לבעלים (תבנית: חוזים).",
                "entity": "contracts",
                "trigger_kind": "time",
                "trigger_config": {
                    "field": "custom.renewal_date",
                    "offset": 30,
                    "unit": "days",
                    "direction": "before",
                },
                "actions": [{"type": "create_task", "template": "@renew_task"}],
            },
            "",
        ),
    ),
)

RECRUITING = Blueprint(
    key="candidates",
    name=gettext_lazy("Recruiting: candidates"),
    description=gettext_lazy(
        "Candidates for open positions, moving through the hiring stages from application "
        "to an offer, with their contact details, CV source and interview date."
    ),
    definition={
        "name_he": "מועמד",
        "name_en": "Candidate",
        "plural_he": "מועמדים",
        "plural_en": "Candidates",
        "icon": "🧑",
        "has_owner": True,
        "has_status": True,
        "nav_order": 75,
    },
    fields=(
        ("position", "משרה", "Position", "text", {"required": True}),
        ("email", "דוא״ל", "Email", "email", {}),
        ("phone", "טלפון", "Phone", "phone", {}),
        ("source", "מקור", "Source", "text", {}),
        ("interview_at", "מועד ראיון", "Interview", "datetime", {}),
        ("expected_salary", "ציפיות שכר", "Expected salary", "money", {}),
    ),
    statuses=(
        ("applied", "הגיש מועמדות", "Applied", "secondary"),
        ("screening", "סינון טלפוני", "Phone screening", "info"),
        ("interview", "ראיון", "Interview", "primary"),
        ("offer", "הצעת עבודה", "Offer", "warning"),
        ("hired", "התקבל", "Hired", "success"),
        ("rejected", "לא התקבל", "Not hired", "dark"),
    ),
)

_WELCOME_HE = (
    "<p>שלום {{ custom.student }},</p>"
    "<p>נרשמת לקורס <strong>{{ custom.course }}</strong>. נשמח לראותך במפגש הראשון.</p>"
    "<p>בברכה,<br>צוות ההדרכה</p>"
)
_WELCOME_EN = (
    "<p>Hello {{ custom.student }},</p>"
    "<p>You are enrolled in <strong>{{ custom.course }}</strong>. We look forward to seeing "
    "you at the first session.</p><p>Kind regards,<br>The training team</p>"
)

ENROLMENTS = Blueprint(
    key="enrolments",
    name=gettext_lazy("Enrolments"),
    description="",
    definition={
        "name_he": "רישום לקורס",
        "name_en": "Enrolment",
        "plural_he": "רישומים לקורסים",
        "plural_en": "Enrolments",
        "icon": "📝",
        "has_owner": True,
        "has_status": True,
        "nav_order": 81,
    },
    fields=(
        ("student", "תלמיד", "Student", "link", {"link_entity": "contacts", "required": True}),
        ("course", "קורס", "Course", "link", {"link_entity": "courses", "required": True}),
        ("enrolled_on", "תאריך רישום", "Enrolled on", "date", {}),
        ("paid", "שולם", "Paid", "boolean", {}),
    ),
    statuses=(
        ("registered", "נרשם", "Registered", "secondary"),
        ("confirmed", "מאושר", "Confirmed", "primary"),
        ("completed", "סיים", "Completed", "success"),
        ("cancelled", "בוטל", "Cancelled", "dark"),
    ),
)

COURSES = Blueprint(
    key="courses",
    name=gettext_lazy("Courses and students"),
    description=gettext_lazy(
        "Courses with their dates, capacity and price, and enrolments linking a student (a "
        "contact) to a course with a status; each new enrolment sends the student a welcome "
        "e-mail. The contact's page lists their enrolments and the course's page its students."
    ),
    definition={
        "name_he": "קורס",
        "name_en": "Course",
        "plural_he": "קורסים",
        "plural_en": "Courses",
        "icon": "🎓",
        "has_owner": True,
        "has_status": True,
        "nav_order": 80,
    },
    fields=(
        ("starts_on", "תאריך פתיחה", "Starts on", "date", {"required": True}),
        ("ends_on", "תאריך סיום", "Ends on", "date", {}),
        ("sessions", "מספר מפגשים", "Sessions", "integer", {}),
        ("capacity", "מספר מקומות", "Places", "integer", {}),
        ("price", "מחיר", "Price", "money", {}),
        ("instructor", "מדריך", "Instructor", "user", {}),
        ("location", "מקום", "Location", "text", {}),
    ),
    statuses=(
        ("planned", "בתכנון", "Planned", "secondary"),
        ("open", "פתוח להרשמה", "Open for enrolment", "primary"),
        ("running", "מתקיים", "Running", "info"),
        ("ended", "הסתיים", "Ended", "dark"),
    ),
    kinds=(ENROLMENTS,),
    parts=(
        (
            "email-templates",
            {
                "name": "קורסים: ברוכים הבאים לקורס",
                "entity": "enrolments",
                "subject_he": "ברוכים הבאים לקורס {{ custom.course }}",
                "body_he": _WELCOME_HE,
                "subject_en": "Welcome to {{ custom.course }}",
                "body_en": _WELCOME_EN,
            },
            "welcome",
        ),
        (
            "automation-rules",
            {
                "name": "קורסים: דוא״ל ברוכים הבאים לתלמיד שנרשם",
                "description": "כשנוצר רישום לקורס, דוא״ל ברוכים הבאים לתלמיד (תבנית: קורסים).",
                "entity": "enrolments",
                "trigger_kind": "created",
                "trigger_config": {},
                "actions": [
                    {
                        "type": "send_email",
                        "template": "@welcome",
                        "to_field": "custom.student.email",
                    }
                ],
            },
            "",
        ),
    ),
)

DONATIONS = Blueprint(
    key="donations",
    name=gettext_lazy("Donations"),
    description=gettext_lazy(
        "Donations from donors (contacts): amount, date, payment method, campaign, whether it "
        "entitles the donor to a section 46 tax credit, and the receipt issued for it. The "
        "donor's page lists their donations."
    ),
    definition={
        "name_he": "תרומה",
        "name_en": "Donation",
        "plural_he": "תרומות",
        "plural_en": "Donations",
        "icon": "🎁",
        "has_owner": True,
        "has_status": True,
        "nav_order": 85,
    },
    fields=(
        ("donor", "תורם", "Donor", "link", {"link_entity": "contacts", "required": True}),
        ("amount", "סכום", "Amount", "money", {"required": True}),
        ("donated_on", "תאריך התרומה", "Donated on", "date", {"required": True}),
        (
            "method",
            "אמצעי תשלום",
            "Payment method",
            "choice",
            {
                "choice_list": "donation_method",
                "values": (
                    {"value": "transfer", "label_he": "העברה בנקאית", "label_en": "Bank transfer"},
                    {"value": "card", "label_he": "כרטיס אשראי", "label_en": "Credit card"},
                    {"value": "cheque", "label_he": "המחאה", "label_en": "Cheque"},
                    {"value": "cash", "label_he": "מזומן", "label_en": "Cash"},
                ),
            },
        ),
        ("campaign", "מבצע התרמה", "Campaign", "text", {}),
        ("section_46", "מזכה בזיכוי לפי סעיף 46", "Section 46 tax credit", "boolean", {}),
        # The receipt is a tax document of the billing module when it is installed.
        ("receipt", "קבלה", "Receipt", "link", {"link_entity": "tax-documents"}),
    ),
    statuses=(
        ("pledged", "התחייבות", "Pledged", "secondary"),
        ("received", "התקבלה", "Received", "primary"),
        ("receipted", "הונפקה קבלה", "Receipt issued", "success"),
        ("refunded", "הוחזרה", "Refunded", "dark"),
    ),
)

BLUEPRINTS = {b.key: b for b in (CONTRACTS, RECRUITING, COURSES, DONATIONS)}


def blueprint_for(key: str) -> Blueprint | None:
    return BLUEPRINTS.get(key)


def _resolve(value, made: dict):
    if isinstance(value, str) and value.startswith("@"):
        return made[value[1:]].pk
    if isinstance(value, list):
        return [_resolve(v, made) for v in value]
    if isinstance(value, dict):
        return {k: _resolve(v, made) for k, v in value.items()}
    return value


def _flat(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
    return " ".join(exc.messages)


@transaction.atomic
def blueprint_install(key: str, *, actor) -> CustomObject:
    """Install template ``key``: its statuses, the kind, its fields, then its other parts
    (automation) through their entities' create services. Administrators only; once."""
    from kesher.platform.access import is_admin

    blueprint = blueprint_for(key)
    if blueprint is None:
        raise ValidationError({"key": [_("No such template.")]})
    if actor is not None and not is_admin(actor):
        raise ValidationError({"key": [_("Only an administrator installs templates.")]})
    if blueprint.installed:
        raise ValidationError({"key": [_("This template is already installed.")]})
    for kind in blueprint.kinds:
        if kind.installed:
            raise ValidationError(
                {"key": [_("A kind with the key “%s” already exists.") % kind.key]}
            )
    definition = _install_kind(blueprint, actor)
    for kind in blueprint.kinds:
        _install_kind(kind, actor)
    registry.refresh()  # the kind with its link fields, before the parts that name them
    made: dict = {}
    for entity_key, data, ref in blueprint.parts:
        if entity_key not in registry:
            continue  # a module not installed: the kind still works without its automation
        try:
            record = record_create_by_service(entity_key, actor, _resolve(data, made))
        except ValidationError as exc:
            raise ValidationError(
                {
                    "key": [
                        _("%(part)s: %(errors)s") % {"part": data.get("name"), "errors": _flat(exc)}
                    ]
                }
            ) from exc
        if ref:
            made[ref] = record
    return definition


def _install_kind(kind: Blueprint, actor) -> CustomObject:
    """One kind: its statuses, its definition, then its fields (a link to an entity this
    Kesher does not have is left out)."""
    for order, (value, label_he, label_en, colour) in enumerate(kind.statuses):
        Choice.objects.get_or_create(
            list_key=f"object-status-{kind.key}",
            value=value,
            defaults={
                "label_he": label_he,
                "label_en": label_en,
                "colour": colour,
                "order": order,
                "extra": {"default": True} if order == 0 else {},
            },
        )
    definition = custom_object_create(actor=actor, data={"key": kind.key, **kind.definition})
    for order, (field_key, label_he, label_en, type_, extra) in enumerate(kind.fields):
        extra = dict(extra)
        values = extra.pop("values", ())
        if extra.get("link_entity") and extra["link_entity"] not in registry:
            continue
        custom_field_create(
            actor=actor,
            data={
                "entity": kind.key,
                "key": field_key,
                "label_he": label_he,
                "label_en": label_en,
                "type": type_,
                "order": order,
                **extra,
            },
            values=values,
        )
    return definition


def record_create_by_service(entity_key: str, actor, data: dict):
    entity = registry.get(entity_key)
    data = dict(data)
    for name, list_key in entity.choice_lists.items():
        # Pick-list values named by their key, as a template writes them.
        if isinstance(data.get(name), str):
            value = data[name]
            data[name] = Choice.objects.filter(list_key=list_key, value=value, active=True).first()
            if data[name] is None:
                raise ValidationError({name: [_("No active value “%s” in its list.") % value]})
    if entity.create_service is not None:
        return entity.create_service(actor=actor, data=data)
    return record_create(entity, actor=actor, data=data)

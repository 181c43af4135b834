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
    # Other entities' records to make after the kind: (entity key, data, ref); a value
    # "@ref" in a later part stands for the id of the record made under that ref.
    parts: tuple[tuple[str, dict, str], ...] = ()

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

BLUEPRINTS = {b.key: b for b in (CONTRACTS, RECRUITING)}


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
    status_list = f"object-status-{blueprint.key}"
    for order, (value, label_he, label_en, colour) in enumerate(blueprint.statuses):
        Choice.objects.get_or_create(
            list_key=status_list,
            value=value,
            defaults={
                "label_he": label_he,
                "label_en": label_en,
                "colour": colour,
                "order": order,
                "extra": {"default": True} if order == 0 else {},
            },
        )
    definition = custom_object_create(
        actor=actor, data={"key": blueprint.key, **blueprint.definition}
    )
    for order, (field_key, label_he, label_en, type_, extra) in enumerate(blueprint.fields):
        custom_field_create(
            actor=actor,
            data={
                "entity": blueprint.key,
                "key": field_key,
                "label_he": label_he,
                "label_en": label_en,
                "type": type_,
                "order": order,
                **extra,
            },
        )
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

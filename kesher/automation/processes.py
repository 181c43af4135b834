"""Process templates: installable bundles of pick-list values, task templates, e-mail templates,
approval processes and rules that together run one of the organization's processes
(REQ AU-2, AU-4, SV-11; issue 5 item 6).

A template is data: what it creates, with references between its parts written ``"@ref"``
(a rule's action names the task template the same bundle makes). Installing creates each part
through its entity's own create service — the same validation as the admin screens and the
API — in one transaction, so a template that no longer fits (a pick-list value renamed, a
module missing) installs nothing and says why. What was made is kept on an
``InstalledProcess``; a template installs once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kesher.automation.models import InstalledProcess
from kesher.platform.models import Choice
from kesher.platform.records.services import record_create, record_delete
from kesher.platform.registry import registry

__all__ = [
    "ProcessTemplate",
    "process_install",
    "process_templates",
    "process_uninstall",
    "template_for",
]


@dataclass(frozen=True)
class ProcessTemplate:
    key: str
    name: object
    description: object
    # Entities the process works on; a template whose module is not installed waits for it.
    requires: tuple[str, ...]
    # Pick-list values the process needs: (list, value, Hebrew, English, colour).
    choices: tuple = ()
    # Roles the process hands work to: (key, Hebrew, English, the role whose rights a new one
    # starts with). A role that exists is kept as it is; the administrator narrows a new one's
    # rights on its page.
    roles: tuple = ()
    # The parts, in the order they are made: entity key → list of records (dicts); a value
    # "@ref" stands for the record of this template whose "ref" is ref.
    parts: tuple[tuple[str, tuple[dict, ...]], ...] = ()
    steps: tuple = field(default=())  # the process map shown to the administrator

    def missing(self) -> list[str]:
        known = set(registry.keys())
        return [key for key in self.requires if key not in known]

    def missing_names(self) -> list[str]:
        """The modules it waits for, as people call them."""
        return [str(MODULE_NAMES.get(key, key)) for key in self.missing()]


# What a template may wait for, named for people: a module not installed yet has no entity
# in the registry to give its name.
MODULE_NAMES = {"tickets": gettext_lazy("customer service (tickets)")}


_WELCOME_HE = (
    "<p>שלום {{ name }},</p>"
    "<p>שמחים שהצטרפתם אלינו! {{ owner }} ילווה אתכם בתחילת הדרך, ויתקשר בימים הקרובים "
    "כדי לתאם פגישת התנעה.</p><p>בברכה,<br>צוות השירות</p>"
)
_WELCOME_EN = (
    "<p>Hello {{ name }},</p>"
    "<p>Welcome aboard! {{ owner }} will be with you through the first steps and will call "
    "in the coming days to set up a kick-off meeting.</p><p>Best regards,<br>The service team</p>"
)

ONBOARDING = ProcessTemplate(
    key="customer-onboarding",
    name=gettext_lazy("New-customer onboarding"),
    description=gettext_lazy(
        "When an account becomes an active customer, its owner gets a welcome call and a "
        "kick-off meeting to arrange, the customer gets a welcome e-mail, and the account is "
        "tagged “onboarding”. An active customer no one touched for 14 days gets a follow-up "
        "task. The owner's manager signs off the end of onboarding (an approval round, started "
        "from the account's page)."
    ),
    requires=("accounts", "tasks", "task-templates", "email-templates", "approval-processes"),
    parts=(
        (
            "email-templates",
            (
                {
                    "ref": "welcome",
                    "name": "ברוכים הבאים ללקוח חדש",
                    "entity": "accounts",
                    "subject_he": "ברוכים הבאים, {{ name }}",
                    "body_he": _WELCOME_HE,
                    "subject_en": "Welcome, {{ name }}",
                    "body_en": _WELCOME_EN,
                },
            ),
        ),
        (
            "task-templates",
            (
                {
                    "ref": "welcome_call",
                    "name": "קליטה: שיחת ברוכים הבאים",
                    "task_type": "call_back",
                    "title": "שיחת ברוכים הבאים ל{{name}}",
                    "priority": "high",
                    "due_offset": 1,
                    "due_unit": "days",
                    "assignee_rule": "owner",
                },
                {
                    "ref": "kickoff",
                    "name": "קליטה: פגישת התנעה",
                    "task_type": "meeting",
                    "title": "לתאם פגישת התנעה עם {{name}}",
                    "priority": "normal",
                    "due_offset": 3,
                    "due_unit": "days",
                    "assignee_rule": "owner",
                },
                {
                    "ref": "check_in",
                    "name": "קליטה: מעקב אחרי לקוח חדש",
                    "task_type": "follow_up",
                    "title": "לבדוק איך מתקדמת הקליטה של {{name}}",
                    "priority": "normal",
                    "due_offset": 1,
                    "due_unit": "days",
                    "assignee_rule": "owner",
                },
            ),
        ),
        (
            "approval-processes",
            (
                {
                    "ref": "signoff",
                    "name_he": "אישור סיום קליטת לקוח",
                    "name_en": "Onboarding sign-off",
                    "entity": "accounts",
                    "mode": "ordered",
                    "steps": [{"approver": "manager"}],
                },
            ),
        ),
        (
            "automation-rules",
            (
                {
                    "name": "קליטת לקוח חדש: משימות ודוא״ל ברוכים הבאים",
                    "description": "כשלקוח הופך ללקוח פעיל (תבנית תהליך: קליטת לקוח חדש).",
                    "entity": "accounts",
                    "trigger_kind": "status_entered",
                    "trigger_config": {"value": "active"},
                    "actions": [
                        {"type": "create_task", "template": "@welcome_call"},
                        {"type": "create_task", "template": "@kickoff"},
                        {"type": "send_email", "template": "@welcome", "to_field": "email"},
                        {"type": "add_tag", "tag": "קליטה"},
                    ],
                },
                {
                    "name": "קליטת לקוח חדש: מעקב אחרי 14 ימים בלי שינוי",
                    "description": "לקוח פעיל שלא נגעו בו 14 ימים (תבנית תהליך: קליטת לקוח חדש).",
                    "entity": "accounts",
                    "trigger_kind": "idle",
                    "trigger_config": {"days": 14},
                    "condition": {"field": "status", "op": "eq", "value": "active"},
                    "actions": [{"type": "create_task", "template": "@check_in"}],
                },
            ),
        ),
    ),
    steps=(
        gettext_lazy("The account's status becomes “Active customer”."),
        gettext_lazy("Its owner: a welcome call (1 business day) and a kick-off meeting (3)."),
        gettext_lazy("The customer: a welcome e-mail, in Hebrew or English."),
        gettext_lazy("14 days without a change: a follow-up task for the owner."),
        gettext_lazy("End of onboarding: the owner's manager signs off (approval round)."),
    ),
)

_CLOSED_HE = (
    "<p>שלום {{ contact.first_name }},</p>"
    "<p>הטיפול בפנייה {{ number }} („{{ subject }}”) הסתיים והיא נסגרה. נשמח אם תדרגו את "
    "הטיפול בפנייה באזור הלקוחות.</p><p>בברכה,<br>צוות השירות</p>"
)
_CLOSED_EN = (
    "<p>Hello {{ contact.first_name }},</p>"
    "<p>We have finished handling your request {{ number }} (“{{ subject }}”) and closed it. "
    "We would be glad if you rated how it was handled in the customer portal.</p>"
    "<p>Best regards,<br>The service team</p>"
)

# Seed 000's example: a customer opens a request in the portal → support classifies and
# answers first → development fixes → QA verifies → closed. It needs tickets, which the
# service module brings; until then the template is listed, waiting for it.
SERVICE = ProcessTemplate(
    key="service-request",
    name=gettext_lazy("Service request across teams"),
    description=gettext_lazy(
        "A customer opens a request in the portal; support classifies it and answers first; "
        "when the code must change, development fixes it; QA verifies the fix; the request is "
        "closed and the customer is told. Each hand-over creates the next team's task: the "
        "developers' and QA's roles are added for the people who fix and verify."
    ),
    requires=("tickets", "tasks", "task-templates", "email-templates", "automation-rules"),
    choices=(
        ("ticket_status", "new", "חדשה", "New", "primary"),
        ("ticket_status", "classified", "סווגה", "Classified", "info"),
        ("ticket_status", "in_development", "בפיתוח", "In development", "warning"),
        ("ticket_status", "in_qa", "בבדיקת איכות", "In QA", "warning"),
        ("ticket_status", "closed", "סגורה", "Closed", "success"),
    ),
    roles=(
        ("developer", "מפתח", "Developer", "support_agent"),
        ("qa", "בודק איכות", "QA tester", "support_agent"),
    ),
    parts=(
        (
            "email-templates",
            (
                {
                    "ref": "closed",
                    "name": "שירות: הפנייה נסגרה",
                    "entity": "tickets",
                    "subject_he": "הפנייה {{ number }} נסגרה: {{ subject }}",
                    "body_he": _CLOSED_HE,
                    "subject_en": "Your request {{ number }} is closed: {{ subject }}",
                    "body_en": _CLOSED_EN,
                },
            ),
        ),
        (
            "task-templates",
            (
                {
                    "ref": "classify",
                    "name": "שירות: סיווג ומענה ראשון",
                    "task_type": "call_back",
                    "title": "לסווג ולתת מענה ראשון: {{number}} {{subject}}",
                    "priority": "high",
                    "due_offset": 4,
                    "due_unit": "hours",
                    "assignee_rule": "role",
                    "assignee_role": "support_agent",
                },
                {
                    "ref": "fix",
                    "name": "שירות: תיקון בפיתוח",
                    "task_type": "general",
                    "title": "לתקן את התקלה: {{number}} {{subject}}",
                    "priority": "high",
                    "due_offset": 2,
                    "due_unit": "days",
                    "assignee_rule": "role",
                    "assignee_role": "developer",
                },
                {
                    "ref": "verify",
                    "name": "שירות: בדיקת איכות של התיקון",
                    "task_type": "general",
                    "title": "לבדוק את התיקון: {{number}} {{subject}}",
                    "priority": "high",
                    "due_offset": 1,
                    "due_unit": "days",
                    "assignee_rule": "role",
                    "assignee_role": "qa",
                },
            ),
        ),
        (
            "automation-rules",
            (
                {
                    "name": "שירות: פנייה חדשה מהפורטל",
                    "entity": "tickets",
                    "trigger_kind": "created",
                    "actions": [{"type": "create_task", "template": "@classify"}],
                },
                {
                    "name": "שירות: הפנייה עברה לפיתוח",
                    "description": "משימת תיקון למפתח (תבנית תהליך: פנייה בין צוותים).",
                    "entity": "tickets",
                    "trigger_kind": "status_entered",
                    "trigger_config": {"value": "in_development"},
                    "actions": [{"type": "create_task", "template": "@fix"}],
                },
                {
                    "name": "שירות: התיקון עבר לבדיקת איכות",
                    "description": "משימת בדיקה לבודק האיכות (תבנית תהליך: פנייה בין צוותים).",
                    "entity": "tickets",
                    "trigger_kind": "status_entered",
                    "trigger_config": {"value": "in_qa"},
                    "actions": [{"type": "create_task", "template": "@verify"}],
                },
                {
                    "name": "שירות: הפנייה נסגרה",
                    "description": "דוא״ל ללקוח שפתח אותה (תבנית תהליך: פנייה בין צוותים).",
                    "entity": "tickets",
                    "trigger_kind": "status_entered",
                    "trigger_config": {"value": "closed"},
                    "condition": {"field": "contact", "op": "not_empty"},
                    "actions": [
                        {"type": "send_email", "template": "@closed", "to_field": "contact.email"}
                    ],
                },
            ),
        ),
    ),
    steps=(
        gettext_lazy("The customer opens a request in the portal."),
        gettext_lazy("Support classifies it and answers first (4 business hours)."),
        gettext_lazy("When the code must change: development fixes it (a developer's task)."),
        gettext_lazy("QA verifies the fix (a QA tester's task)."),
        gettext_lazy("The request is closed and the customer is told by e-mail."),
    ),
)

_templates = {t.key: t for t in (ONBOARDING, SERVICE)}


def process_templates() -> list[ProcessTemplate]:
    return list(_templates.values())


def template_for(key: str) -> ProcessTemplate | None:
    return _templates.get(key)


def _resolve(value, made: dict):
    """``"@ref"`` → the id of the record this installation made under that ref."""
    if isinstance(value, str) and value.startswith("@"):
        return made[value[1:]].pk
    if isinstance(value, list):
        return [_resolve(v, made) for v in value]
    if isinstance(value, dict):
        return {k: _resolve(v, made) for k, v in value.items()}
    return value


def _foreign_keys(entity, data: dict) -> dict:
    """Pick-list values and roles named by their key, as a template writes them, to records."""
    from kesher.org.models import Role

    result = dict(data)
    for name, list_key in entity.choice_lists.items():
        if isinstance(result.get(name), str):
            value = result[name]
            found = Choice.objects.filter(list_key=list_key, value=value, active=True)
            result[name] = found.first()
            if result[name] is None:
                raise ValidationError({name: [_("No active value “%s” in its list.") % value]})
    if isinstance(result.get("assignee_role"), str):
        key = result["assignee_role"]
        result["assignee_role"] = Role.objects.filter(key=key).first()
        if result["assignee_role"] is None:
            raise ValidationError({"assignee_role": [_("No role “%s”.") % key]})
    return result


def _create(entity_key: str, actor, data: dict):
    entity = registry.get(entity_key)
    data = _foreign_keys(entity, data)
    if entity.create_service is not None:
        return entity.create_service(actor=actor, data=data)
    return record_create(entity, actor=actor, data=data)


@transaction.atomic
def process_install(
    key: str, *, actor, template: ProcessTemplate | None = None
) -> InstalledProcess:
    """Install the process template ``key``: its pick-list values (kept when they exist), then
    each part through its entity's create service. ValidationError names the part that does
    not fit; nothing is written then. ``template`` is one made from data rather than listed
    here (a process the administrator mapped in the roll-out, kesher.rollout), installed and
    recorded under ``key`` the same way."""
    from kesher.platform.access import is_admin

    template = template or template_for(key)
    if template is None:
        raise ValidationError({"key": [_("No such process template.")]})
    if actor is not None and not is_admin(actor):
        raise ValidationError({"key": [_("Only an administrator installs process templates.")]})
    missing = template.missing_names()
    if missing:
        raise ValidationError(
            {"key": [_("This process needs modules not installed yet: %s.") % ", ".join(missing)]}
        )
    if InstalledProcess.objects.select_for_update().filter(key=key).exists():
        raise ValidationError({"key": [_("This process template is already installed.")]})
    added_choices = []
    for list_key, value, label_he, label_en, colour in template.choices:
        choice, created = Choice.objects.get_or_create(
            list_key=list_key,
            value=value,
            defaults={"label_he": label_he, "label_en": label_en, "colour": colour},
        )
        if created:
            added_choices.append(choice.pk)
    added_roles = [role.pk for role in _install_roles(template, actor)]
    made: dict = {}
    created_records: list[list] = []
    for entity_key, records in template.parts:
        for spec in records:
            data = {k: v for k, v in spec.items() if k != "ref"}
            try:
                record = _create(entity_key, actor, _resolve(data, made))
            except ValidationError as exc:
                label = spec.get("name") or spec.get("name_he") or entity_key
                raise ValidationError(
                    {"key": [_("%(part)s: %(errors)s") % {"part": label, "errors": _flat(exc)}]}
                ) from exc
            if "ref" in spec:
                made[spec["ref"]] = record
            created_records.append([entity_key, record.pk])
    return InstalledProcess.objects.create(
        key=key,
        installed_by=actor if getattr(actor, "pk", None) else None,
        created={"choices": added_choices, "roles": added_roles, "records": created_records},
    )


@transaction.atomic
def process_uninstall(key: str, *, actor) -> None:
    """Remove what installing ``key`` made — its records (last made first), the roles and the
    pick-list values it added — while none of it is in use: a rule that has run, a role with
    users, a value a record holds. ValidationError says what is in use; nothing is removed then."""
    from django.db.models import ProtectedError

    from kesher.org.models import Role
    from kesher.org.services import role_delete
    from kesher.platform.access import is_admin
    from kesher.platform.customfields.schema import choice_delete

    if actor is not None and not is_admin(actor):
        raise ValidationError({"key": [_("Only an administrator removes a process.")]})
    # Locked: two removals at once would both find the parts still there.
    installed = InstalledProcess.objects.select_for_update().filter(key=key).first()
    if installed is None:
        raise ValidationError({"key": [_("This process is not installed.")]})
    records = [(registry.get(k), pk) for k, pk in installed.created.get("records", [])]
    roles = Role.objects.filter(pk__in=installed.created.get("roles", []))
    in_use = [str(role) for role in roles if role.users.exists()]
    for entity, pk in records:
        record = entity.model._base_manager.filter(pk=pk).first()
        if record is not None and entity.key == "automation-rules" and record.runs.exists():
            in_use.append(str(record))
    if in_use:
        raise ValidationError(
            {"key": [_("The process is in use and stays installed: %s.") % ", ".join(in_use)]}
        )
    try:
        for entity, pk in reversed(records):
            record = entity.model._base_manager.filter(pk=pk).first()
            if record is None:
                continue  # the administrator deleted it already
            if entity.delete_service is not None:
                entity.delete_service(record, actor=actor)
            else:
                record_delete(record, actor=actor)
        for role in roles:
            role_delete(role, actor=actor)
        for choice in Choice.objects.filter(pk__in=installed.created.get("choices", [])):
            choice_delete(choice, actor=actor)
    except ValidationError as exc:
        raise ValidationError(
            {"key": [_("The process is in use and stays installed: %s.") % _flat(exc)]}
        ) from exc
    except ProtectedError as exc:
        used = sorted({str(obj) for obj in exc.protected_objects})[:5]
        raise ValidationError(
            {"key": [_("The process is in use and stays installed: %s.") % ", ".join(used)]}
        ) from exc
    installed.delete()


def _install_roles(template: ProcessTemplate, actor) -> list:
    """The roles the template hands work to, made through the roles' services with the
    rights of the role each is like; a role that exists stays as the administrator left it.
    Returns the roles it made."""
    from kesher.org.models import Role
    from kesher.org.services import role_create, role_grants, role_set_grants

    made = []
    for key, name_he, name_en, like in template.roles:
        if Role.objects.filter(key=key).exists():
            continue
        role = role_create(actor=actor, data={"key": key, "name_he": name_he, "name_en": name_en})
        base = Role.objects.filter(key=like).first()
        if base is not None and not base.is_admin:
            role_set_grants(role, actor=actor, grants=role_grants(base))
        made.append(role)
    return made


def _flat(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
    return " ".join(exc.messages)

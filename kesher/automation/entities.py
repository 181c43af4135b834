"""Automation rules in the platform registry: their list, API and audit come from the platform;
the rule builder, run log and dry run are the app's own pages (REQ AU-1)."""

from django.utils.translation import gettext_lazy as _

from kesher.automation import services
from kesher.automation.models import Rule
from kesher.platform.registry import Entity, Section, register

rules = register(
    Entity(
        key="automation-rules",
        importable=False,
        model=Rule,
        label=_("automation rule"),
        label_plural=_("Automation rules"),
        icon="⚙",
        nav_order=975,
        # The Organization menu links the rules page (kesher/templates/base.html).
        in_navigation=False,
        list_columns=("name", "entity", "trigger_kind", "enabled", "order"),
        form_fields=(
            "name",
            "description",
            "entity",
            "enabled",
            "order",
            "trigger_kind",
            "trigger_config",
            "condition",
            "change_conditions",
            "actions",
        ),
        sections=(
            Section(_("Rule"), ("name", "description", "entity", "enabled", "order")),
            Section(
                _("When"), ("trigger_kind", "trigger_config", "condition", "change_conditions")
            ),
            Section(_("Then"), ("actions",)),
        ),
        search_words=("name",),
        filter_fields=("entity", "trigger_kind", "enabled"),
        ordering_fields=("name", "order", "created_at", "id"),
        default_ordering=("entity", "order", "id"),
        owner_field=None,
        create_service=services.rule_create,
        update_service=services.rule_update,
        delete_service=services.rule_delete,
        api_example={
            "name": "לקוח הפך ל-VIP: שיחה מהבעלים",
            "description": "כשסטטוס הלקוח הופך ל-VIP, משימת שיחה לבעלים",
            "entity": "accounts",
            "enabled": True,
            "order": 10,
            "trigger_kind": "status_entered",
            "trigger_config": {"value": "vip"},
            "condition": {"field": "city", "op": "eq", "value": "חיפה"},
            "change_conditions": [],
            "actions": [{"type": "create_task", "template": 1}],
        },
    )
)

# Buttons and wizards (REQ CX-7; decision 0108): administrators define them on the generic
# pages; people meet them on the records' pages, the lists and the wizards page.
from kesher.automation import buttons as button_services  # noqa: E402
from kesher.automation import wizards as wizard_services  # noqa: E402
from kesher.automation.models import Button, Wizard  # noqa: E402

register(
    Entity(
        key="automation-buttons",
        importable=False,
        model=Button,
        label=_("button"),
        label_plural=_("Buttons"),
        icon="▶",
        nav_order=976,
        in_navigation=False,
        list_columns=("label_he", "label_en", "entity", "rule", "on_record", "on_list", "enabled"),
        form_fields=(
            "label_he",
            "label_en",
            "entity",
            "rule",
            "on_record",
            "on_list",
            "condition",
            "roles",
            "questions",
            "enabled",
            "order",
        ),
        sections=(
            Section(_("Button"), ("label_he", "label_en", "entity", "rule", "enabled", "order")),
            Section(_("Where and for whom"), ("on_record", "on_list", "condition", "roles")),
            Section(_("Questions"), ("questions",)),
        ),
        search_words=("label_he", "label_en"),
        filter_fields=("entity", "enabled"),
        ordering_fields=("label_he", "order", "id"),
        default_ordering=("entity", "order", "id"),
        select_related=("rule",),
        owner_field=None,
        custom_fields=False,
        create_service=button_services.button_create,
        update_service=button_services.button_update,
        delete_service=button_services.button_delete,
        api_example={
            "label_he": "סגירה כלא רלוונטי",
            "label_en": "Close as not relevant",
            "entity": "accounts",
            "rule": 7,
            "on_record": True,
            "on_list": True,
            "condition": {"field": "city", "op": "eq", "value": "חיפה"},
            "roles": [],
            "questions": [
                {
                    "key": "reason",
                    "label_he": "סיבה",
                    "label_en": "Reason",
                    "type": "text",
                    "required": True,
                }
            ],
            "enabled": True,
            "order": 10,
        },
    )
)

register(
    Entity(
        key="automation-wizards",
        importable=False,
        model=Wizard,
        label=_("wizard"),
        label_plural=_("Wizards"),
        icon="🪄",
        nav_order=977,
        in_navigation=False,
        list_columns=("name_he", "name_en", "enabled", "order"),
        form_fields=("name_he", "name_en", "description", "steps", "roles", "enabled", "order"),
        sections=(
            Section(_("Wizard"), ("name_he", "name_en", "description", "enabled", "order")),
            Section(_("Steps"), ("steps", "roles")),
        ),
        search_words=("name_he", "name_en"),
        filter_fields=("enabled",),
        ordering_fields=("name_he", "order", "id"),
        default_ordering=("order", "id"),
        owner_field=None,
        custom_fields=False,
        create_service=wizard_services.wizard_create,
        update_service=wizard_services.wizard_update,
        delete_service=wizard_services.wizard_delete,
        api_example={
            "name_he": "לקוח חדש",
            "name_en": "New customer",
            "description": "לקוח, איש קשר, עסקה ראשונה ומשימת קבלת פנים",
            "steps": [
                {"entity": "accounts", "title_he": "הלקוח", "fields": ["name", "phone"]},
                {
                    "entity": "contacts",
                    "title_he": "איש הקשר",
                    "fields": ["first_name", "last_name", "email"],
                    "links": {"account": 1},
                },
            ],
            "roles": [],
            "enabled": True,
            "order": 10,
        },
    )
)

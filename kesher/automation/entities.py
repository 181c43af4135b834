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

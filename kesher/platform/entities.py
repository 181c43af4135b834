"""The platform's own entities: pick-list values and custom-field definitions, edited by
administrators with the same generic screens and API as any record (REQ CX-1, CX-4)."""

from django.utils.translation import gettext_lazy as _

from kesher.platform.customfields import schema
from kesher.platform.customfields.definition_form import CustomFieldForm
from kesher.platform.customfields.picklists import (
    EVERY_LIST,
    ChoiceSettingsForm,
    ChoiceSettingsMixin,
    Setting,
    declare_settings,
)
from kesher.platform.models import Choice, CustomField, FieldRule
from kesher.platform.registry import Entity, Section, register

register(
    Entity(
        key="choices",
        model=Choice,
        label=_("pick-list value"),
        label_plural=_("Pick-lists"),
        icon="☰",
        nav_order=930,
        list_columns=("list_key", "value", "label_he", "label_en", "parent", "order", "active"),
        form_fields=(
            "list_key",
            "value",
            "label_he",
            "label_en",
            "parent",
            "order",
            "active",
            "colour",
        ),
        sections=(
            Section(_("Value"), ("list_key", "value", "label_he", "label_en", "parent")),
            Section(_("Display"), ("order", "active", "colour")),
        ),
        search_words=("label_he", "label_en", "value"),
        filter_fields=("list_key", "active", "parent"),
        ordering_fields=("list_key", "order", "value", "id"),
        default_ordering=("list_key", "order", "id"),
        select_related=("parent",),
        owner_field=None,
        create_service=schema.choice_create,
        update_service=schema.choice_update,
        delete_service=schema.choice_delete,
        replacement_candidates=schema.choice_replacements,
        form_mixin=ChoiceSettingsForm,
        serializer_mixin=ChoiceSettingsMixin,
        api_example={
            "list_key": "task_type",
            "value": "site_visit",
            "label_he": "ביקור אצל לקוח",
            "label_en": "Site visit",
            "order": 6,
            "active": True,
            "extra": {"sla_hours": 24},
        },
    )
)

# A setting of every list: the value new records start with (the generic form offers it).
declare_settings(
    EVERY_LIST,
    Setting(
        "default",
        "boolean",
        _("Default value"),
        help_text=_("New records start with this value."),
    ),
)

register(
    Entity(
        key="custom-fields",
        model=CustomField,
        label=_("custom field"),
        label_plural=_("Custom fields"),
        icon="✚",
        nav_order=940,
        list_columns=(
            "entity",
            "key",
            "label_he",
            "label_en",
            "type",
            "section",
            "order",
            "required",
            "active",
        ),
        form_fields=(
            "entity",
            "key",
            "label_he",
            "label_en",
            "help_he",
            "help_en",
            "type",
            "choice_list",
            "allow_free_text",
            "parent",
            "link_entity",
            "required",
            "default",
            "section",
            "order",
            "active",
            "indexed",
        ),
        sections=(
            Section(
                _("Field"), ("entity", "key", "label_he", "label_en", "type", "section", "order")
            ),
            Section(
                _("Values"), ("choice_list", "allow_free_text", "parent", "link_entity", "default")
            ),
            Section(_("Rules"), ("required", "active", "indexed", "help_he", "help_en")),
        ),
        search_words=("label_he", "label_en", "key"),
        filter_fields=("entity", "type", "active", "required"),
        ordering_fields=("entity", "order", "key", "id"),
        default_ordering=("entity", "order", "id"),
        select_related=("parent",),
        owner_field=None,
        create_service=schema.custom_field_create,
        update_service=schema.custom_field_update,
        form_mixin=CustomFieldForm,
    )
)

register(
    Entity(
        key="field-rules",
        model=FieldRule,
        label=_("field rule"),
        label_plural=_("Field rules"),
        icon="⚖",
        nav_order=950,
        list_columns=(
            "entity",
            "field",
            "section",
            "required",
            "required_statuses",
            "read_only_roles",
            "hidden_roles",
            "validator",
            "active",
        ),
        form_fields=(
            "entity",
            "field",
            "section",
            "required",
            "required_statuses",
            "read_only_roles",
            "hidden_roles",
            "validator",
            "pattern",
            "message_he",
            "message_en",
            "active",
        ),
        sections=(
            Section(
                _("Rule"),
                ("entity", "field", "section", "required", "required_statuses", "active"),
            ),
            # Who may not change or not see the field (REQ CX-9, decision 0047).
            Section(_("Roles"), ("read_only_roles", "hidden_roles")),
            Section(_("Format"), ("validator", "pattern", "message_he", "message_en")),
        ),
        filter_fields=("entity", "validator", "active"),
        ordering_fields=("entity", "field", "id"),
        default_ordering=("entity", "field", "id"),
        owner_field=None,
        api_example={
            "entity": "accounts",
            "section": "Contact details",
            "hidden_roles": ["sales_rep"],
        },
    )
)

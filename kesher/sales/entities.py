"""Sales in the platform registry: leads, pipelines, stages, deals and competitors get list,
detail, forms, API, search, import, export and automation from these registrations
(REQ SA-1 … SA-6, CU-7)."""

from django.utils.translation import gettext_lazy as _

from kesher.platform.registry import Entity, ListedOn, Related, Section, register
from kesher.sales import services
from kesher.sales.forms import OpportunityForm
from kesher.sales.models import (
    Competitor,
    Lead,
    LeadAssignmentRule,
    Opportunity,
    Pipeline,
    SalesTarget,
    Stage,
)
from kesher.sales.serializers import OpportunityContactsMixin

leads = register(
    Entity(
        key="leads",
        large=True,
        linkable=True,
        model=Lead,
        label=_("lead"),
        label_plural=_("Leads"),
        icon="✦",
        nav_order=25,
        list_columns=(
            "last_name",
            "first_name",
            "company_name",
            "phone",
            "email",
            "source",
            "status",
            "owner",
        ),
        form_fields=(
            "first_name",
            "last_name",
            "company_name",
            "title",
            "email",
            "phone",
            "mobile",
            "city",
            "region",
            "source",
            "source_detail",
            "campaign",
            "last_campaign",
            "status",
            "owner",
            "score",
            "interest",
            "notes",
        ),
        sections=(
            Section(
                _("Lead"),
                ("first_name", "last_name", "company_name", "title", "status", "owner", "score"),
            ),
            Section(_("Contact details"), ("email", "phone", "mobile", "city", "region")),
            Section(_("Source"), ("source", "source_detail", "campaign", "last_campaign")),
            Section(_("Interest"), ("interest", "notes")),
            Section(
                _("Conversion"),
                (
                    "converted_at",
                    "converted_account",
                    "converted_contact",
                    "converted_opportunity",
                ),
            ),
        ),
        headline_fields=("status", "owner", "source", "phone", "email"),
        search_words=("first_name", "last_name", "company_name"),
        search_emails=("email",),
        search_phones=("phone", "mobile"),
        filter_fields=(
            "status",
            "source",
            "source_detail",
            "campaign",
            "last_campaign",
            "owner",
            "city",
            "region",
            "score",
        ),
        region_field="region",
        ordering_fields=("created_at", "last_name", "score", "id"),
        default_ordering=("-created_at", "-id"),
        select_related=("status", "source", "owner"),
        status_field="status",
        choice_lists={
            "source": "lead_source",
            "source_detail": "lead_source_detail",
            "status": "lead_status",
        },
        natural_keys=("email", "phone", "mobile"),
        lookup_keys=("email", "phone"),
        create_service=services.lead_create,
        api_example={
            "first_name": "דנה",
            "last_name": "לוי",
            "company_name": "אלפא מערכות",
            "phone": "052-555-1234",
            "email": "dana@alpha.example",
            "source": 2,
            "interest": "מערכת CRM ל-20 משתמשים",
        },
    )
)

pipelines = register(
    Entity(
        key="pipelines",
        model=Pipeline,
        label=_("pipeline"),
        label_plural=_("Pipelines"),
        icon="⇶",
        nav_order=975,
        list_columns=("name_he", "name_en", "order", "active"),
        form_fields=("name_he", "name_en", "order", "active", "notes"),
        sections=(
            Section(_("Pipeline"), ("name_he", "name_en", "order", "active")),
            Section(_("Notes"), ("notes",)),
        ),
        related=(
            Related(
                _("Stages"),
                "stages",
                "pipeline",
                ("name_he", "group", "outcome", "standard_days", "probability"),
            ),
        ),
        search_words=("name_he", "name_en"),
        filter_fields=("active",),
        ordering_fields=("order", "id"),
        default_ordering=("order", "id"),
        owner_field=None,
        importable=False,
        delete_service=services.pipeline_delete,
        lookup_keys=("name_he", "name_en"),
        api_example={"name_he": "מכירות פרויקטים", "name_en": "Project sales", "order": 2},
    )
)

stages = register(
    Entity(
        key="stages",
        model=Stage,
        label=_("stage"),
        label_plural=_("Stages"),
        icon="▤",
        nav_order=976,
        in_navigation=False,
        list_columns=(
            "pipeline",
            "order",
            "name_he",
            "group",
            "outcome",
            "standard_days",
            "probability",
        ),
        form_fields=(
            "pipeline",
            "key",
            "name_he",
            "name_en",
            "order",
            "group",
            "outcome",
            "standard_days",
            "probability",
            "responsible_user",
            "responsible_role",
            "exit_criteria",
            "active",
        ),
        sections=(
            Section(
                _("Stage"),
                ("pipeline", "key", "name_he", "name_en", "order", "group", "outcome", "active"),
            ),
            Section(
                _("Clock and responsibility"),
                ("standard_days", "probability", "responsible_user", "responsible_role"),
            ),
            Section(_("Exit criteria"), ("exit_criteria",)),
        ),
        search_words=("name_he", "name_en"),
        filter_fields=("pipeline", "group", "outcome", "active"),
        ordering_fields=("order", "id"),
        default_ordering=("pipeline", "order", "id"),
        select_related=("pipeline",),
        owner_field=None,
        importable=False,
        delete_service=services.stage_delete,
        # An imported deal names its stage by key ("proposal") or by name.
        lookup_keys=("key", "name_he", "name_en"),
        api_example={
            "pipeline": 1,
            "key": "demo",
            "name_he": "הדגמה",
            "name_en": "Demo",
            "order": 15,
            "group": "open",
            "outcome": "open",
            "standard_days": 3,
            "probability": 30,
        },
    )
)

lead_rules = register(
    Entity(
        key="lead-rules",
        model=LeadAssignmentRule,
        label=_("lead assignment rule"),
        label_plural=_("Lead assignment rules"),
        icon="⇆",
        nav_order=977,
        list_columns=("order", "name_he", "source", "region", "method", "by_region", "active"),
        form_fields=(
            "name_he",
            "name_en",
            "order",
            "active",
            "source",
            "region",
            "method",
            "user",
            "members",
            "by_region",
        ),
        sections=(
            Section(_("Rule"), ("name_he", "name_en", "order", "active")),
            Section(_("When a new lead without an owner"), ("source", "region")),
            Section(_("Goes to"), ("method", "user", "members", "by_region", "last_assigned")),
        ),
        search_words=("name_he", "name_en"),
        filter_fields=("active", "method", "source", "region"),
        ordering_fields=("order", "id"),
        default_ordering=("order", "id"),
        select_related=("source", "region", "user"),
        choice_lists={"source": "lead_source"},
        owner_field=None,
        importable=False,
        lookup_keys=("name_he", "name_en"),
        api_example={
            "name_he": "לידים מהאתר — סבב",
            "name_en": "Website leads — round robin",
            "order": 10,
            "source": 4,
            "method": "round_robin",
            "members": [4, 5],
        },
    )
)

competitors = register(
    Entity(
        key="rivals",
        model=Competitor,
        label=_("competitor"),
        label_plural=_("Competitors"),
        icon="⚔",
        nav_order=80,
        list_columns=("name", "website"),
        form_fields=("name", "website", "strengths", "weaknesses", "notes"),
        sections=(
            Section(_("Competitor"), ("name", "website")),
            Section(_("Against them"), ("strengths", "weaknesses", "notes")),
        ),
        search_words=("name",),
        ordering_fields=("name", "created_at", "id"),
        default_ordering=("name", "id"),
        owner_field=None,
        natural_keys=("name",),
        api_example={"name": "מתחרה בע״מ", "website": "https://rival.example"},
    )
)

opportunities = register(
    Entity(
        key="opportunities",
        large=True,
        linkable=True,
        model=Opportunity,
        label=_("opportunity"),
        label_plural=_("Opportunities"),
        icon="◆",
        nav_order=30,
        list_columns=(
            "name",
            "account",
            "stage",
            "amount",
            "expected_close_date",
            "stuck_at",
            "owner",
        ),
        form_fields=(
            "name",
            "account",
            "stage",
            "amount",
            "currency",
            "expected_close_date",
            "forecast_category",
            "priority",
            "owner",
            "source",
            "campaign",
            "last_campaign",
            "competitors",
            "lost_reason",
            "product_requests",
            "notes",
        ),
        sections=(
            Section(
                _("Deal"),
                (
                    "name",
                    "account",
                    "stage",
                    "stage_entered_at",
                    "stuck_at",
                    "priority",
                    "owner",
                ),
            ),
            Section(
                _("Money and dates"),
                (
                    "amount",
                    "currency",
                    "expected_close_date",
                    "forecast_category",
                    "closed_at",
                    "source",
                    "campaign",
                    "last_campaign",
                    "lost_reason",
                ),
            ),
            Section(_("Competition"), ("competitors",)),
            Section(_("What the customer wants"), ("product_requests", "notes")),
        ),
        headline_fields=("stage", "amount", "expected_close_date", "owner", "stuck_at"),
        # On each account's page: its deals (REQ CU-7 "what we sold", SA-6).
        listed_on=(
            ListedOn(
                "accounts", "account", _("Opportunities"), ("name", "stage", "amount", "owner")
            ),
            ListedOn("rivals", "competitors", _("Opportunities"), ("name", "stage", "amount")),
        ),
        search_words=("name",),
        filter_fields=(
            "stage",
            "owner",
            "account",
            "contacts",
            "priority",
            "source",
            "campaign",
            "last_campaign",
            "lost_reason",
            "competitors",
            "expected_close_date",
            "forecast_category",
        ),
        ordering_fields=(
            "created_at",
            "expected_close_date",
            "amount",
            "stage_entered_at",
            "stuck_at",
            "id",
        ),
        default_ordering=("-created_at", "-id"),
        select_related=("stage", "account", "owner", "priority"),
        status_field="stage",
        # A deal's region is its customer's (decision 0060).
        region_field="account__region",
        # Derived from the stage: its change says it.
        audit_exclude=("stage_entered_at", "stuck_at", "closed_at"),
        choice_lists={
            "priority": "opportunity_priority",
            "source": "lead_source",
            "lost_reason": "lost_reason",
        },
        create_service=services.opportunity_create,
        update_service=services.opportunity_update,
        # The deal's contacts with their roles (the deal page's panel edits them).
        serializer_mixin=OpportunityContactsMixin,
        form_mixin=OpportunityForm,
        api_example={
            "name": "מערכת CRM ל-20 משתמשים",
            "account": 12,
            "contacts": [{"contact": 31, "role": "מקבלת החלטה"}, {"contact": 32, "role": "משתמש"}],
            "stage": 2,
            "amount": "48000.00",
            "currency": "ILS",
            "expected_close_date": "2026-12-31",
            "forecast_category": "commit",
        },
    )
)

# Targets per period for a person, a department, a region or the whole company (REQ SA-7, RE-2,
# SA-14). A rep's scope "own" reaches his own targets, a manager's "department" his people's
# and his departments', "region" the targets of the user's regions (decision 0060).
sales_targets = register(
    Entity(
        key="sales-targets",
        model=SalesTarget,
        label=_("sales target"),
        label_plural=_("Sales targets"),
        icon="◎",
        nav_order=32,
        list_columns=("period", "starts_on", "level", "user", "department", "region", "amount"),
        form_fields=(
            "period",
            "starts_on",
            "level",
            "user",
            "department",
            "region",
            "amount",
            "count",
            "notes",
        ),
        sections=(
            Section(_("Target"), ("period", "starts_on", "level", "user", "department", "region")),
            Section(_("What to reach"), ("amount", "count")),
            Section(_("Notes"), ("notes",)),
        ),
        headline_fields=("period", "starts_on", "level", "amount", "count"),
        filter_fields=("period", "level", "user", "department", "region", "starts_on"),
        ordering_fields=("starts_on", "amount", "id"),
        default_ordering=("-starts_on", "id"),
        select_related=("user", "department", "region"),
        owner_field="user",
        owner_defaults_to_actor=False,
        department_field="department",
        region_field="region",
        api_example={
            "period": "quarter",
            "starts_on": "2026-10-01",
            "level": "person",
            "user": 7,
            "amount": "250000.00",
            "count": 12,
        },
    )
)

"""Service in the platform registry: tickets, service teams (queues) and SLA policies get list,
detail, forms, API, search, import, export and automation from these registrations; the
settings of their pick-lists are declared here (REQ SV-1 … SV-5, SV-9)."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kesher.platform.customfields.picklists import Setting, declare_settings
from kesher.platform.lists.filterlang import register_own_records
from kesher.platform.models import Choice
from kesher.platform.registry import BuiltinView, Entity, ListedOn, Section, register
from kesher.service import services
from kesher.service.forms import TicketForm
from kesher.service.models import (
    Article,
    ArticleCategory,
    CannedReply,
    Mailbox,
    Skill,
    SlaPolicy,
    Team,
    Ticket,
)

# "Mine" in a condition on a ticket's team: the service teams the reader is a member of,
# resolved when the list is read (decision 0124).
register_own_records(
    Team,
    lambda user: Team.objects.filter(members=user).values("pk"),
    gettext_lazy("My teams"),
)

tickets = register(
    Entity(
        key="tickets",
        large=True,
        linkable=True,
        model=Ticket,
        label=gettext_lazy("ticket"),
        label_plural=gettext_lazy("Tickets"),
        icon="✉",
        nav_order=35,
        list_columns=(
            "number",
            "subject",
            "account",
            "ticket_type",
            "priority",
            "status",
            "handler",
            "sla_due_at",
        ),
        form_fields=(
            "subject",
            "account",
            "contact",
            "project",
            "product_group",
            "product",
            "channel",
            "ticket_type",
            "subtype",
            "subtype2",
            "priority",
            "status",
            "team",
            "owner",
            "handler",
            "description",
            "resolution",
        ),
        sections=(
            Section(
                gettext_lazy("Ticket"),
                ("number", "subject", "account", "contact", "project", "channel", "status"),
            ),
            Section(
                gettext_lazy("Classification"),
                ("ticket_type", "subtype", "subtype2", "priority", "product_group", "product"),
            ),
            Section(gettext_lazy("Handling"), ("team", "owner", "handler")),
            Section(
                gettext_lazy("Service level"),
                ("sla_policy", "sla_due_at", "first_responded_at", "resolved_at"),
            ),
            Section(
                gettext_lazy("Details"),
                ("description", "resolution", "solution_article", "merged_into"),
            ),
        ),
        headline_fields=("status", "priority", "ticket_type", "handler", "sla_due_at"),
        # On each account's and contact's page: its tickets (REQ CU-7, service received).
        listed_on=(
            ListedOn(
                "accounts",
                "account",
                gettext_lazy("Tickets"),
                ("number", "subject", "status", "handler"),
            ),
            ListedOn(
                "contacts",
                "contact",
                gettext_lazy("Tickets"),
                ("number", "subject", "status", "handler"),
            ),
        ),
        search_words=("number", "subject"),
        filter_fields=(
            "status",
            "priority",
            "ticket_type",
            "subtype",
            "channel",
            "team",
            "owner",
            "handler",
            "account",
            "project",
            "product_group",
            "product",
            "sla_due_at",
        ),
        ordering_fields=("sla_due_at", "created_at", "updated_at", "id"),
        default_ordering=("-created_at", "-id"),
        builtin_views=(
            # The open tickets of the queues the reader is in, the most urgent first.
            BuiltinView(
                "my-teams",
                gettext_lazy("My team's tickets"),
                {
                    "all": [
                        {"field": "team", "op": "in", "value": "mine"},
                        {"field": "resolved_at", "op": "empty"},
                    ]
                },
                sort="sla_due_at",
            ),
        ),
        select_related=("status", "priority", "ticket_type", "account", "handler", "owner"),
        # A ticket's name is its number and subject: the API's list rows join nothing.
        title_related=(),
        status_field="status",
        # Derived by the services from the status and the policy: their causes are audited.
        audit_exclude=("sla_due_at", "resolved_at"),
        choice_lists={
            "channel": "ticket_channel",
            "ticket_type": "ticket_type",
            "subtype": "ticket_subtype",
            "subtype2": "ticket_subtype2",
            "priority": "ticket_priority",
            "status": "ticket_status",
        },
        natural_keys=("number",),
        lookup_keys=("number",),
        create_service=services.ticket_create,
        update_service=services.ticket_update,
        form_mixin=TicketForm,
        api_example={
            "subject": "המדפסת לא מדפיסה חשבוניות",
            "account": 12,
            "contact": 40,
            "channel": 3,
            "ticket_type": 61,
            "subtype": 64,
            "description": "מאז העדכון של אתמול המדפסת במשרד הראשי לא מגיבה.",
        },
    )
)

teams = register(
    Entity(
        key="service-teams",
        model=Team,
        label=gettext_lazy("service team"),
        label_plural=gettext_lazy("Service teams"),
        icon="☷",
        nav_order=980,
        list_columns=("name_he", "name_en", "assignment", "active"),
        form_fields=("name_he", "name_en", "members", "assignment", "active"),
        sections=(
            Section(gettext_lazy("Team"), ("name_he", "name_en", "assignment", "active")),
            Section(gettext_lazy("Members"), ("members", "last_assigned")),
        ),
        search_words=("name_he", "name_en"),
        filter_fields=("assignment", "active", "members"),
        ordering_fields=("name_he", "id"),
        default_ordering=("name_he", "id"),
        owner_field=None,
        importable=False,
        lookup_keys=("name_he", "name_en"),
        api_example={
            "name_he": "תמיכה טכנית",
            "name_en": "Technical support",
            "members": [4, 5],
            "assignment": "round_robin",
        },
    )
)

skills = register(
    Entity(
        key="service-skills",
        model=Skill,
        label=gettext_lazy("skill"),
        label_plural=gettext_lazy("Skills"),
        icon="✦",
        nav_order=980,
        list_columns=("name_he", "name_en", "ticket_type", "active"),
        form_fields=("name_he", "name_en", "ticket_type", "agents", "active"),
        sections=(
            Section(gettext_lazy("Skill"), ("name_he", "name_en", "ticket_type", "active")),
            Section(gettext_lazy("Agents"), ("agents",)),
        ),
        search_words=("name_he", "name_en"),
        filter_fields=("ticket_type", "agents", "active"),
        ordering_fields=("name_he", "id"),
        default_ordering=("name_he", "id"),
        select_related=("ticket_type",),
        owner_field=None,
        importable=False,
        choice_lists={"ticket_type": "ticket_type"},
        lookup_keys=("name_he", "name_en"),
        api_example={
            "name_he": "מדפסות",
            "name_en": "Printers",
            "ticket_type": 61,
            "agents": [4, 5],
        },
    )
)

sla_policies = register(
    Entity(
        key="sla-policies",
        model=SlaPolicy,
        label=gettext_lazy("SLA policy"),
        label_plural=gettext_lazy("SLA policies"),
        icon="⏱",
        nav_order=981,
        list_columns=(
            "order",
            "name_he",
            "ticket_type",
            "priority",
            "first_response_hours",
            "resolution_hours",
            "active",
        ),
        form_fields=(
            "name_he",
            "name_en",
            "order",
            "ticket_type",
            "priority",
            "accounts",
            "first_response_hours",
            "next_response_hours",
            "resolution_hours",
            "warn_percent",
            "active",
        ),
        sections=(
            Section(gettext_lazy("Policy"), ("name_he", "name_en", "order", "active")),
            Section(gettext_lazy("Applies to"), ("ticket_type", "priority", "accounts")),
            Section(
                gettext_lazy("Targets"),
                (
                    "first_response_hours",
                    "next_response_hours",
                    "resolution_hours",
                    "warn_percent",
                ),
            ),
        ),
        search_words=("name_he", "name_en"),
        filter_fields=("ticket_type", "priority", "active"),
        ordering_fields=("order", "id"),
        default_ordering=("order", "id"),
        select_related=("ticket_type", "priority"),
        owner_field=None,
        importable=False,
        choice_lists={"ticket_type": "ticket_type", "priority": "ticket_priority"},
        api_example={
            "name_he": "לקוחות VIP — דחוף",
            "name_en": "VIP — urgent",
            "order": 1,
            "priority": 71,
            "accounts": [12],
            "first_response_hours": "1.00",
            "next_response_hours": "2.00",
            "resolution_hours": "8.00",
            "warn_percent": 75,
        },
    )
)


mailboxes = register(
    Entity(
        key="service-mailboxes",
        model=Mailbox,
        label=gettext_lazy("support mailbox"),
        label_plural=gettext_lazy("Support mailboxes"),
        icon="✉",
        nav_order=982,
        list_columns=(
            "address",
            "name",
            "team",
            "unknown_sender",
            "imap_host",
            "active",
            "problem",
            "problem_at",
        ),
        form_fields=(
            "address",
            "name",
            "team",
            "unknown_sender",
            "imap_host",
            "mail_protocol",
            "mail_security",
            "imap_port",
            "imap_user",
            "imap_password_env",
            "imap_folder",
            "active",
        ),
        sections=(
            Section(
                gettext_lazy("Mailbox"), ("address", "name", "team", "unknown_sender", "active")
            ),
            Section(
                gettext_lazy("Polling"),
                (
                    "imap_host",
                    "mail_protocol",
                    "mail_security",
                    "imap_port",
                    "imap_user",
                    "imap_password_env",
                    "imap_folder",
                ),
            ),
            Section(gettext_lazy("Last problem"), ("problem", "problem_detail", "problem_at")),
        ),
        search_words=("address", "name"),
        filter_fields=("team", "unknown_sender", "active"),
        ordering_fields=("address", "id"),
        default_ordering=("address", "id"),
        owner_field=None,
        importable=False,
        lookup_keys=("address",),
        api_example={
            "address": "support@example.co.il",
            "name": "תמיכה",
            "team": 2,
            "unknown_sender": "contact",
        },
    )
)

canned_replies = register(
    Entity(
        key="canned-replies",
        model=CannedReply,
        label=gettext_lazy("canned reply"),
        label_plural=gettext_lazy("Canned replies"),
        icon="❝",
        nav_order=983,
        list_columns=("name", "ticket_type", "whatsapp_template", "active"),
        form_fields=("name", "ticket_type", "whatsapp_template", "body_he", "body_en", "active"),
        sections=(
            Section(
                gettext_lazy("Canned reply"), ("name", "ticket_type", "whatsapp_template", "active")
            ),
            Section(gettext_lazy("Text"), ("body_he", "body_en")),
        ),
        search_words=("name",),
        filter_fields=("ticket_type", "active"),
        ordering_fields=("name", "id"),
        default_ordering=("name", "id"),
        select_related=("ticket_type",),
        owner_field=None,
        importable=False,
        choice_lists={"ticket_type": "ticket_type"},
        create_service=services.canned_reply_create,
        update_service=services.canned_reply_update,
        api_example={
            "name": "קיבלנו את פנייתך",
            "body_he": "שלום {{ contact.first_name }}, קיבלנו את פנייה {{ number }} ונחזור אליך.",
            "body_en": "Hello {{ contact.first_name }}, we received ticket {{ number }}.",
        },
    )
)


kb_categories = register(
    Entity(
        key="kb-categories",
        model=ArticleCategory,
        label=gettext_lazy("knowledge base category"),
        label_plural=gettext_lazy("Knowledge base categories"),
        icon="☰",
        nav_order=984,
        list_columns=("order", "name_he", "name_en"),
        form_fields=("name_he", "name_en", "order"),
        sections=(Section(gettext_lazy("Category"), ("name_he", "name_en", "order")),),
        search_words=("name_he", "name_en"),
        ordering_fields=("order", "id"),
        default_ordering=("order", "id"),
        owner_field=None,
        importable=False,
        lookup_keys=("name_he", "name_en"),
        api_example={"name_he": "מדפסות", "name_en": "Printers", "order": 1},
    )
)

kb_articles = register(
    Entity(
        key="kb-articles",
        model=Article,
        label=gettext_lazy("knowledge base article"),
        label_plural=gettext_lazy("Knowledge base"),
        icon="📖",
        nav_order=36,
        list_columns=(
            "title_he",
            "category",
            "status",
            "audience",
            "helpful_count",
            "not_helpful_count",
            "updated_at",
        ),
        form_fields=(
            "title_he",
            "title_en",
            "category",
            "status",
            "audience",
            "ticket_type",
            "body_he",
            "body_en",
            "owner",
        ),
        sections=(
            Section(
                gettext_lazy("Article"),
                ("title_he", "title_en", "category", "status", "audience", "ticket_type"),
            ),
            Section(gettext_lazy("Text"), ("body_he", "body_en")),
        ),
        search_words=("title_he", "title_en"),
        filter_fields=("category", "status", "audience", "ticket_type", "owner"),
        ordering_fields=("title_he", "updated_at", "helpful_count", "not_helpful_count", "id"),
        default_ordering=("title_he", "id"),
        select_related=("category", "owner"),
        importable=False,
        choice_lists={"ticket_type": "ticket_type"},
        create_service=services.article_create,
        update_service=services.article_update,
        api_example={
            "title_he": "המדפסת לא מדפיסה אחרי עדכון",
            "title_en": "The printer stops after an update",
            "category": 2,
            "status": "published",
            "audience": "public",
            "ticket_type": 61,
            "body_he": "<p>מתקינים מחדש את מנהל ההתקן מ<b>לוח הבקרה</b>.</p>",
        },
    )
)


# --- the settings of service's pick-lists (Choice.extra), edited on the pick-list pages ---------


def _type_rules(settings: dict) -> dict:
    value = settings.get("default_priority")
    if value and not Choice.objects.filter(list_key="ticket_priority", value=value).exists():
        return {"default_priority": _("Enter the key of a ticket priority, e.g. high.")}
    return {}


declare_settings(
    "ticket_type",
    Setting(
        "default_priority",
        "text",
        gettext_lazy("Default priority"),
        help_text=gettext_lazy(
            "The key of the priority a ticket of this type gets when none is chosen (e.g. high)."
        ),
        max_length=64,
    ),
    check=_type_rules,
)


def _status_rules(settings: dict) -> dict:
    if settings.get("waiting") and settings.get("resolved"):
        return {"waiting": _("A status either waits for the customer or resolves the ticket.")}
    return {}


declare_settings(
    "ticket_status",
    Setting(
        "waiting",
        "boolean",
        gettext_lazy("Waiting for the customer"),
        help_text=gettext_lazy("The ticket's SLA clocks stand still in this status."),
    ),
    Setting(
        "resolved",
        "boolean",
        gettext_lazy("Resolves the ticket"),
        help_text=gettext_lazy(
            "Reaching it meets the resolution target; the ticket is no longer open."
        ),
    ),
    Setting(
        "customer_reply",
        "boolean",
        gettext_lazy("A customer's reply moves a waiting ticket here"),
        help_text=gettext_lazy(
            "When the customer answers by e-mail a ticket that waits for him, it moves to this "
            "status (the first such status)."
        ),
    ),
    check=_status_rules,
)

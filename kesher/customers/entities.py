"""Customers' entities in the platform registry."""

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _

from kesher.customers import services
from kesher.customers.api import ContactAccountsMixin
from kesher.customers.models import Account, Contact, ContactAccount, Relationship
from kesher.platform.customfields.picklists import Setting, declare_settings
from kesher.platform.registry import Entity, Section, register

accounts = register(
    Entity(
        key="accounts",
        large=True,
        linkable=True,
        natural_keys=("company_number", "israeli_id", "email", "phone", "mobile"),
        lookup_keys=("company_number", "name"),
        last_contact_field="last_contact_at",
        model=Account,
        label=_("account"),
        label_plural=_("Accounts"),
        icon="🏢",
        nav_order=10,
        list_columns=(
            "name",
            "kind",
            "phone",
            "email",
            "city",
            "status",
            "rating",
            "owner",
            "last_contact_at",
        ),
        form_fields=(
            "kind",
            "name",
            "company_number",
            "israeli_id",
            "phone",
            "mobile",
            "email",
            "website",
            "street",
            "city",
            "zip_code",
            "country",
            "industry",
            "source",
            "status",
            "rating",
            "owner",
            "region",
            "companies",
            "tags",
            "club_member",
            "club_joined_on",
            "notes",
        ),
        sections=(
            Section(
                _("Details"),
                (
                    "kind",
                    "name",
                    "company_number",
                    "israeli_id",
                    "status",
                    "rating",
                    "industry",
                    "source",
                    "owner",
                    "region",
                    "companies",
                    "tags",
                ),
            ),
            Section(_("Contact details"), ("phone", "mobile", "email", "website")),
            Section(_("Address"), ("street", "city", "zip_code", "country")),
            Section(_("Customer club"), ("club_member", "club_joined_on", "last_contact_at")),
            Section(_("Notes"), ("notes",)),
        ),
        search_words=("name", "city"),
        search_emails=("email",),
        search_phones=("phone", "mobile"),
        filter_fields=(
            "kind",
            "status",
            "rating",
            "industry",
            "source",
            "owner",
            "region",
            "city",
            "club_member",
            "companies",
            "tags",
        ),
        ordering_fields=("name", "city", "created_at", "last_contact_at", "id"),
        default_ordering=("name", "id"),
        select_related=("status", "rating", "owner"),
        title_related=(),
        # The contacts panel of the detail page lists each link with its contact.
        prefetch_related=(
            Prefetch(
                "contact_links",
                queryset=ContactAccount.objects.select_related("contact").order_by(
                    "contact__last_name", "contact__first_name", "pk"
                ),
            ),
        ),
        owner_field="owner",
        company_field="companies",
        region_field="region",
        status_field="status",
        headline_fields=("status", "owner", "rating", "phone", "email", "city"),
        choice_lists={
            "industry": "industry",
            "source": "account_source",
            "status": "account_status",
            "rating": "account_rating",
        },
        create_service=services.account_create,
        api_example={
            "kind": "organization",
            "name": 'אלפא מערכות בע"מ',
            "company_number": "516179157",
            "phone": "052-555-1234",
            "email": "office@alpha.example",
            "city": "חיפה",
            "custom_fields": {"lead_source": "word_ad", "lead_source_detail": "google"},
        },
        update_service=services.account_update,
    )
)

contacts = register(
    Entity(
        key="contacts",
        large=True,
        linkable=True,
        natural_keys=("israeli_id", "email", "phone", "mobile"),
        lookup_keys=("email", "mobile"),
        last_contact_field="last_contact_at",
        model=Contact,
        label=_("contact"),
        label_plural=_("Contacts"),
        icon="👤",
        nav_order=20,
        list_columns=(
            "first_name",
            "last_name",
            "title",
            "phone",
            "mobile",
            "email",
            "city",
            "owner",
        ),
        form_fields=(
            "first_name",
            "last_name",
            "title",
            "email",
            "phone",
            "mobile",
            "israeli_id",
            "city",
            "birthday",
            "language",
            "owner",
            "tags",
            "notes",
        ),
        sections=(
            Section(
                _("Details"),
                ("first_name", "last_name", "title", "israeli_id", "birthday", "owner", "tags"),
            ),
            Section(
                _("Contact details"),
                ("phone", "mobile", "email", "city", "language", "last_contact_at"),
            ),
            Section(_("Notes"), ("notes",)),
        ),
        search_words=("first_name", "last_name"),
        search_emails=("email",),
        search_phones=("phone", "mobile"),
        filter_fields=("owner", "city", "title", "tags"),
        ordering_fields=("last_name", "first_name", "city", "created_at", "id"),
        default_ordering=("last_name", "first_name", "id"),
        select_related=("owner",),
        title_related=(),
        # The accounts panel of the detail page lists each link with its account.
        prefetch_related=(
            Prefetch(
                "account_links",
                queryset=ContactAccount.objects.select_related("account").order_by(
                    "account__name", "pk"
                ),
            ),
        ),
        owner_field="owner",
        company_field="accounts__companies",
        region_field="accounts__region",
        headline_fields=("title", "owner", "mobile", "phone", "email"),
        create_service=services.contact_create,
        serializer_mixin=ContactAccountsMixin,
        api_example={
            "first_name": "דנה",
            "last_name": "לוי",
            "title": "מנהלת רכש",
            "mobile": "054-123-4567",
            "email": "dana@alpha.example",
            "language": "he",
            "accounts": [
                {"account": 12, "role": "מנהלת רכש", "is_primary": True},
                {"account": 40, "role": "יועצת"},
            ],
        },
    )
)

relationships = register(
    Entity(
        key="relationships",
        model=Relationship,
        label=_("relationship"),
        label_plural=_("Relationships"),
        icon="🔗",
        nav_order=30,
        in_navigation=False,
        list_columns=("from_account", "from_contact", "type", "to_account", "to_contact", "notes"),
        form_fields=("from_account", "from_contact", "type", "to_account", "to_contact", "notes"),
        sections=(
            Section(
                _("Relationship"),
                ("from_account", "from_contact", "type", "to_account", "to_contact", "notes"),
            ),
        ),
        filter_fields=("type", "from_account", "to_account", "from_contact", "to_contact"),
        ordering_fields=("created_at", "id"),
        default_ordering=("-created_at", "-id"),
        select_related=("from_account", "from_contact", "to_account", "to_contact", "type"),
        owner_field="owner",
        scope_via=("from_account", "from_contact"),
        choice_lists={"type": "relationship_type"},
        create_service=services.relationship_create,
        api_example={"from_account": 12, "type": 3, "to_account": 40, "notes": "חברת בת"},
    )
)


# A relationship type read from its other side: "parent company of" is "subsidiary of" (CU-5).
declare_settings(
    "relationship_type",
    Setting(
        "reverse_he",
        "text",
        _("Hebrew label from the other side"),
        help_text=_("How the other record reads it; empty: the same as the label."),
        max_length=200,
    ),
    Setting(
        "reverse_en",
        "text",
        _("English label from the other side"),
        help_text=_("How the other record reads it; empty: the same as the label."),
        max_length=200,
    ),
)

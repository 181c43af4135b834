"""The organization's entities in the platform registry."""

from django.utils.translation import gettext_lazy as _

from kesher.org import services
from kesher.org.api import RoleGrantsMixin
from kesher.org.models import Company, Department, Region, Role, User
from kesher.platform.registry import Entity, ListedOn, Related, Section, register

register(
    Entity(
        key="users",
        listed_on=(
            ListedOn(
                "departments", "department", _("Members"), ("username", "first_name", "last_name")
            ),
            ListedOn("roles", "role", _("Users"), ("username", "first_name", "last_name")),
        ),
        natural_keys=("username", "email", "phone"),
        model=User,
        label=_("user"),
        label_plural=_("Users"),
        icon="🧑‍💼",
        nav_order=900,
        list_columns=(
            "username",
            "first_name",
            "last_name",
            "email",
            "department",
            "role",
            "is_active",
        ),
        form_fields=(
            "username",
            "first_name",
            "last_name",
            "email",
            "phone",
            "title",
            "department",
            "role",
            "companies",
            "regions",
            "language",
            "time_zone",
            "is_active",
        ),
        sections=(
            Section(
                _("Details"), ("username", "first_name", "last_name", "email", "phone", "title")
            ),
            Section(_("Organization"), ("department", "role", "companies", "regions", "is_active")),
            Section(_("Preferences"), ("language", "time_zone")),
        ),
        search_words=("first_name", "last_name", "username"),
        search_emails=("email",),
        filter_fields=("department", "role", "regions", "is_active", "language"),
        ordering_fields=("username", "first_name", "last_name", "id"),
        default_ordering=("first_name", "last_name", "id"),
        select_related=("department", "role"),
        owner_field=None,
        audit_exclude=("last_login", "is_superuser", "is_staff"),
        create_service=services.user_create,
        update_service=services.user_update,
        delete_service=services.user_delete,
    )
)

register(
    Entity(
        key="departments",
        model=Department,
        label=_("department"),
        label_plural=_("Departments"),
        icon="🏬",
        nav_order=910,
        list_columns=("name", "parent", "manager"),
        form_fields=("name", "parent", "manager"),
        sections=(Section(_("Details"), ("name", "parent", "manager")),),
        related=(Related(_("Sub-departments"), "departments", "parent", ("name", "manager")),),
        filter_fields=("parent", "manager"),
        ordering_fields=("name", "path", "id"),
        default_ordering=("path",),
        select_related=("parent", "manager"),
        owner_field=None,
        create_service=services.department_create,
        update_service=services.department_update,
    )
)

# Regions as data (REQ SA-12): Israel's districts and abroad to start with, edited like any list.
register(
    Entity(
        key="regions",
        model=Region,
        label=_("region"),
        label_plural=_("Regions"),
        icon="🗺",
        nav_order=912,
        list_columns=("name_he", "name_en", "order", "active"),
        form_fields=("name_he", "name_en", "order", "active"),
        sections=(Section(_("Region"), ("name_he", "name_en", "order", "active")),),
        related=(Related(_("Users"), "users", "regions", ("username", "first_name", "last_name")),),
        search_words=("name_he", "name_en"),
        filter_fields=("active",),
        ordering_fields=("order", "name_he", "id"),
        default_ordering=("order", "id"),
        owner_field=None,
        lookup_keys=("name_he", "name_en"),
        natural_keys=("name_he",),
        api_example={"name_he": "אילת והערבה", "name_en": "Eilat and the Arava", "order": 9},
    )
)

register(
    Entity(
        key="companies",
        natural_keys=("company_number", "email", "phone"),
        model=Company,
        label=_("company"),
        label_plural=_("Companies"),
        icon="🏛",
        nav_order=920,
        list_columns=("name", "company_number", "phone", "email", "vat_rate", "active"),
        form_fields=("name", "company_number", "phone", "email", "address", "vat_rate", "active"),
        sections=(
            Section(
                _("Details"),
                ("name", "company_number", "phone", "email", "address", "vat_rate", "active"),
            ),
        ),
        search_words=("name",),
        filter_fields=("active",),
        ordering_fields=("name", "id"),
        default_ordering=("name",),
        owner_field=None,
    )
)

# Roles and their grants (REQ OR-3). Only administrators manage them: no role is ever granted
# this entity (``services.role_set_grants`` refuses it), so ``can`` allows it to them alone.
register(
    Entity(
        key="roles",
        model=Role,
        label=_("role"),
        label_plural=_("Roles"),
        icon="🔑",
        nav_order=915,
        list_columns=("name_he", "name_en", "key", "is_admin", "mfa_required"),
        form_fields=("key", "name_he", "name_en", "is_admin", "mfa_required"),
        sections=(Section(_("Role"), ("name_he", "name_en", "key", "is_admin", "mfa_required")),),
        filter_fields=("is_admin", "mfa_required"),
        ordering_fields=("name_he", "name_en", "key", "id"),
        default_ordering=("name_he", "id"),
        owner_field=None,
        importable=False,
        custom_fields=False,
        # An imported user's role is named by its key or either of its names.
        lookup_keys=("key", "name_he", "name_en"),
        create_service=services.role_create,
        update_service=services.role_update,
        delete_service=services.role_delete,
        serializer_mixin=RoleGrantsMixin,
        api_example={
            "key": "field_sales",
            "name_he": "מכירות שטח",
            "name_en": "Field sales",
            "is_admin": False,
            "mfa_required": False,
            "grants": {
                "accounts": {
                    "view": True,
                    "add": True,
                    "change": True,
                    "delete": False,
                    "scope": "own",
                },
                "contacts": {"view": True, "add": True, "change": True, "scope": "own"},
                "tasks": {"view": True, "add": True, "change": True, "scope": "own"},
            },
        },
    )
)

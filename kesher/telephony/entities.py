"""The phone systems and users' extensions in the platform registry: administrators keep them
as data on the generic pages and API (REQ IN-2; no role is granted them, so only
administrators see them)."""

from django.utils.translation import gettext_lazy as _

from kesher.platform.registry import Entity, Section, register
from kesher.telephony import services
from kesher.telephony.models import PbxConnection, PhoneExtension

pbx_connections = register(
    Entity(
        key="pbx-connections",
        model=PbxConnection,
        label=_("PBX connection"),
        label_plural=_("PBX connections"),
        icon="☎",
        nav_order=980,
        list_columns=("name", "provider", "auth", "active"),
        form_fields=("name", "provider", "auth", "secret", "originate_url", "field_map", "active"),
        sections=(
            Section(_("PBX connection"), ("name", "provider", "auth", "originate_url", "active")),
            Section(_("Field mapping"), ("field_map",)),
        ),
        search_words=("name",),
        filter_fields=("provider", "active"),
        ordering_fields=("name", "created_at", "id"),
        default_ordering=("name", "id"),
        owner_field=None,
        importable=False,
        custom_fields=False,
        create_service=services.pbx_connection_create,
        update_service=services.pbx_connection_update,
        api_example={
            "name": "מרכזיית המשרד",
            "provider": "generic",
            "auth": "hmac",
            "secret": "a-long-random-secret-from-the-pbx",
            "originate_url": "https://pbx.example.co.il/api/originate",
            "field_map": {},
            "active": True,
        },
    )
)

phone_extensions = register(
    Entity(
        key="phone-extensions",
        model=PhoneExtension,
        label=_("phone extension"),
        label_plural=_("Phone extensions"),
        icon="☏",
        nav_order=981,
        list_columns=("extension", "user", "connection", "dial_through_pbx"),
        form_fields=("user", "connection", "extension", "dial_through_pbx"),
        sections=(
            Section(_("Phone extension"), ("user", "connection", "extension", "dial_through_pbx")),
        ),
        # Not searched: an extension is a number of three digits, found in its short list by
        # its user or connection; global search for "101" would bring up every such number.
        filter_fields=("connection", "user", "dial_through_pbx"),
        ordering_fields=("extension", "created_at", "id"),
        default_ordering=("extension", "id"),
        select_related=("user", "connection"),
        owner_field=None,
        importable=False,
        custom_fields=False,
        create_service=services.phone_extension_create,
        update_service=services.phone_extension_update,
        api_example={"user": 7, "connection": 1, "extension": "101", "dial_through_pbx": False},
    )
)

"""Admin-defined kinds of record in the platform registry (issue 27, decision 0073): the
definitions themselves are an entity administrators edit with the generic pages and API, and
each active kind is an entity loaded from them (``kesher/objects/runtime.py``)."""

from django.utils.translation import gettext_lazy as _

from kesher.objects import runtime, schema
from kesher.objects.models import CustomObject
from kesher.platform import stamps
from kesher.platform.registry import Entity, Section, register, registry

register(
    Entity(
        key="custom-objects",
        model=CustomObject,
        label=_("custom object"),
        label_plural=_("Custom objects"),
        icon="◆",
        nav_order=945,
        list_columns=("key", "plural_he", "plural_en", "icon", "has_owner", "has_status", "active"),
        form_fields=(
            "key",
            "name_he",
            "name_en",
            "plural_he",
            "plural_en",
            "icon",
            "has_owner",
            "has_status",
            "linkable",
            "nav_order",
            "active",
            "description",
        ),
        sections=(
            Section(_("Names"), ("key", "name_he", "name_en", "plural_he", "plural_en", "icon")),
            Section(_("Records"), ("has_owner", "has_status", "linkable", "nav_order", "active")),
            Section(_("Description"), ("description",)),
        ),
        search_words=("key", "name_he", "name_en", "plural_he", "plural_en"),
        filter_fields=("active", "has_owner", "has_status"),
        ordering_fields=("nav_order", "key", "id"),
        default_ordering=("nav_order", "key", "id"),
        owner_field=None,
        custom_fields=False,
        importable=False,
        natural_keys=("key",),
        create_service=schema.custom_object_create,
        update_service=schema.custom_object_update,
        delete_service=schema.custom_object_delete,
        api_example={
            "key": "contracts",
            "name_he": "חוזה",
            "name_en": "Contract",
            "plural_he": "חוזים",
            "plural_en": "Contracts",
            "icon": "📄",
            "has_owner": True,
            "has_status": True,
        },
    )
)

stamps.renew_on_change(runtime.OBJECTS, CustomObject)

# The kinds are read from the database on the first request (or worker tick), not while
# Kesher starts: ``makemigrations`` and ``migrate`` never see their proxy models.
registry.add_source(
    "objects", stamp=(runtime.OBJECTS, stamps.FIELDS), load=runtime.load, load_now=False
)

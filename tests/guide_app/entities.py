"""Competitors in the platform registry: pages, API, search, import, export, automation and the
access matrix come from this registration."""

from django.utils.translation import gettext_lazy as _

from kesher.platform.registry import Entity, ListedOn, Section, register
from tests.guide_app.models import Competitor

competitors = register(
    Entity(
        key="competitors",
        model=Competitor,
        label=_("competitor"),
        label_plural=_("Competitors"),
        icon="⚔",
        nav_order=60,
        list_columns=("name", "threat_level", "website", "owner"),
        form_fields=("name", "website", "threat_level", "owner", "competes_at", "notes"),
        sections=(
            Section(_("Competitor"), ("name", "website", "threat_level", "owner", "competes_at")),
            Section(_("Notes"), ("notes",)),
        ),
        # On each account's page: the competitors it works with (REQ CU-7).
        listed_on=(
            ListedOn("accounts", "competes_at", _("Competitors"), ("name", "threat_level")),
        ),
        search_words=("name",),
        filter_fields=("threat_level", "owner", "competes_at"),
        ordering_fields=("name", "created_at", "id"),
        default_ordering=("name", "id"),
        select_related=("threat_level", "owner"),
        status_field="threat_level",
        choice_lists={"threat_level": "competitor_threat"},
        natural_keys=("name",),
        api_example={"name": "מתחרה בע״מ", "website": "https://rival.example", "competes_at": [12]},
    )
)

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "kesher.portal"
    label = "portal"
    verbose_name = _("Customer portal")

    def ready(self):
        from kesher.platform.registry import register_panel

        # A contact's page offers (or revokes) his portal access; a ticket's page shows the
        # customer's rating (REQ OR-2, SV-10; decision 0079).
        register_panel(
            "portal/staff/contact_access.html",
            applies=lambda entity: entity.key == "contacts",
            kind="actions",
            order=80,
        )
        register_panel(
            "portal/staff/ticket_rating.html",
            applies=lambda entity: entity.key == "tickets",
            kind="banners",
            order=60,
        )

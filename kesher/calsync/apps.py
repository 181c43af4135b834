from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CalsyncConfig(AppConfig):
    name = "kesher.calsync"
    label = "calsync"
    verbose_name = _("Calendar and contact sync")

    def ready(self):
        from kesher.calsync.services import contact_changed, meeting_changed, sync_due
        from kesher.platform.events import subscribe
        from kesher.platform.tasks import on_tick

        subscribe("*", meeting_changed)
        subscribe("*", contact_changed)
        on_tick(sync_due)

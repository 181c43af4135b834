from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "kesher.privacy"
    label = "privacy"
    verbose_name = _("Privacy")

    def ready(self):
        from kesher.platform import events
        from kesher.platform.registry import register_panel
        from kesher.privacy import entities  # noqa: F401  (registers data-subject requests)
        from kesher.privacy.accesslog import note_change

        events.subscribe("*", note_change)
        # "Who looked at this record": on the pages of the records about customers (those
        # activities may be about), for the privacy officer.
        register_panel(
            "privacy/record_access.html",
            applies=lambda entity: entity.linkable,
            kind="actions",
            order=900,
        )

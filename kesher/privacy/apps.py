from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "kesher.privacy"
    label = "privacy"
    verbose_name = _("Privacy")

    def ready(self):
        from kesher.platform import accesslog, events
        from kesher.platform.registry import register_panel
        from kesher.platform.tasks import on_tick
        from kesher.privacy import entities  # noqa: F401  (registers data-subject requests)
        from kesher.privacy.accesslog import note_change, write_for
        from kesher.privacy.retention import run_due_rules

        events.subscribe("*", note_change)
        accesslog.register_writer(write_for)
        # Retention rules: a batch of each active rule at a tick, until the day's run ends.
        on_tick(run_due_rules)
        # "Who looked at this record": on the pages of the records about customers (those
        # activities may be about), for the privacy officer.
        register_panel(
            "privacy/record_access.html",
            applies=lambda entity: entity.linkable,
            kind="actions",
            order=900,
        )

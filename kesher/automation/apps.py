from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AutomationConfig(AppConfig):
    name = "kesher.automation"
    label = "automation"
    verbose_name = _("Automation")

    def ready(self):
        from kesher.platform import events
        from kesher.platform.tasks import on_tick

        from . import entities, timeline  # noqa: F401  (registers rules, the timeline source)
        from .engine import handle_event
        from .schedule import scan_scheduled
        from .worker import resume_runs

        events.subscribe("*", handle_event)
        on_tick(scan_scheduled)
        on_tick(resume_runs)

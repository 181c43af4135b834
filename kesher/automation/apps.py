from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AutomationConfig(AppConfig):
    name = "kesher.automation"
    label = "automation"
    verbose_name = _("Automation")

    def ready(self):
        from kesher.automation import entities, timeline  # noqa: F401  (registers rules, the timeline source)
        from kesher.automation.engine import handle_event
        from kesher.automation.schedule import scan_scheduled
        from kesher.automation.worker import resume_runs
        from kesher.platform import events
        from kesher.platform.tasks import on_tick

        events.subscribe("*", handle_event)
        on_tick(scan_scheduled)
        on_tick(resume_runs)

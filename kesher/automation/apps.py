from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AutomationConfig(AppConfig):
    name = "kesher.automation"
    label = "automation"
    verbose_name = _("Automation")

    def ready(self):
        from kesher.automation import entities, timeline  # noqa: F401  (registers rules, the timeline source)
        from kesher.automation.buttons import resume_button_jobs
        from kesher.automation.engine import handle_event
        from kesher.automation.schedule import scan_scheduled
        from kesher.automation.worker import resume_runs
        from kesher.platform import events
        from kesher.platform.registry import register_panel
        from kesher.platform.tasks import on_tick

        events.subscribe("*", handle_event)
        on_tick(scan_scheduled)
        on_tick(resume_runs)
        on_tick(resume_button_jobs)
        # Buttons administrators define (decision 0108): on records' pages and on lists.
        register_panel("automation/actions/_buttons.html", applies=_every, kind="actions", order=50)
        register_panel("automation/list/_buttons.html", applies=_every, kind="list")


def _every(entity) -> bool:
    return True

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "kesher.activities"
    label = "activities"
    verbose_name = _("Activities")

    def ready(self):
        from kesher.activities import entities, timeline  # noqa: F401  (registers interactions, tasks)
        from kesher.activities.callbacks import resume_stalled_runs
        from kesher.activities.delivery import deliver_due, send_digests
        from kesher.platform.tasks import on_tick

        on_tick(deliver_due)
        on_tick(send_digests)
        on_tick(resume_stalled_runs)

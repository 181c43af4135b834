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
        from kesher.platform.registry import register_panel
        from kesher.platform.tasks import on_tick

        # Every record work can be about shows its 360° figures, its interactions and tasks,
        # and the alerts an administrator defined (REQ CU-7, CU-8).
        for template, kind, order in (
            ("activities/panels/_overview.html", "panels", 10),
            ("activities/panels/_activities.html", "panels", 20),
            ("activities/banners/_alerts.html", "banners", 10),
        ):
            register_panel(template, applies=_linkable, kind=kind, order=order)
        on_tick(deliver_due)
        on_tick(send_digests)
        on_tick(resume_stalled_runs)


def _linkable(entity) -> bool:
    return entity.linkable

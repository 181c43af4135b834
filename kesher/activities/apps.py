from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "kesher.activities"
    label = "activities"
    verbose_name = _("Activities")
    # The menu of tasks, calendar and team pages (kesher/platform/ui/context_processors.py).
    menu_template = "activities/menu_items.html"
    menu_always = True

    def ready(self):
        from kesher.activities import entities, timeline  # noqa: F401  (registers interactions, tasks)
        from kesher.activities.callbacks import resume_stalled_runs
        from kesher.activities.delivery import deliver_due, send_digests
        from kesher.activities.models import BusinessCalendar
        from kesher.activities.services import CALENDARS
        from kesher.platform import stamps
        from kesher.platform.registry import register_panel
        from kesher.platform.tasks import on_tick

        # Every record work can be about shows, under its name, the alerts an administrator
        # defined and its 360° figures; "log a call", "new task" and "add an alert" in its
        # header; its open tasks and recent interactions beside its timeline (REQ CU-7, CU-8).
        for template, kind, order in (
            ("activities/actions/_activities.html", "actions", 10),
            ("activities/banners/_alerts.html", "banners", 10),
            ("activities/banners/_overview.html", "banners", 30),
        ):
            register_panel(template, applies=_linkable, kind=kind, order=order)
        register_panel(
            "activities/aside/_activities.html",
            applies=_linkable,
            kind="aside",
            order=10,
            label=_("Activities"),
            anchor="record-activities",
        )
        on_tick(deliver_due)
        on_tick(send_digests)
        on_tick(resume_stalled_runs)
        # The business calendars are cached per process (``calendar_of``) until one changes.
        stamps.renew_on_change(CALENDARS, BusinessCalendar)


def _linkable(entity) -> bool:
    return entity.linkable

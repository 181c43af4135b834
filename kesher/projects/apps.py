from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "kesher.projects"
    label = "projects"
    verbose_name = _("Projects")
    # The timesheet and the approvals in the projects menu.
    menu_template = "projects/menu_items.html"

    def ready(self):
        from kesher.activities.ical import register_feed_source
        from kesher.platform.records.services import register_edit_guard
        from kesher.projects import actions, entities  # noqa: F401  (registers entities, the action)
        from kesher.projects.ical import schedule_events
        from kesher.projects.services import entries_locked_among, entry_locked_reason

        # Submitted and approved hours are not edited through any generic path (REQ PR-2).
        register_edit_guard(entry_locked_reason, among=entries_locked_among)
        # An employee's planned weeks and absences in his calendar feed (decision 0122).
        register_feed_source(schedule_events)

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "kesher.reports"
    label = "reports"
    verbose_name = _("Reports")
    # The builder, the dashboard and the reports' pages, under the reports menu.
    menu_template = "reports/menu_items.html"
    menu_always = True

    def ready(self):
        from kesher.integrations.attachments import register_attachments
        from kesher.platform.tasks import on_tick
        from kesher.reports import delivery, entities  # noqa: F401  (registers the entities)

        # Scheduled reports: sent when due, their files read by the outbox (decision 0099).
        on_tick(delivery.schedules_send_due)
        register_attachments("report-schedules", delivery.delivery_attachments)

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
        from kesher.reports import entities  # noqa: F401  (registers reports and dashboards)

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "kesher.reports"
    label = "reports"
    verbose_name = _("Reports")

    def ready(self):
        from kesher.reports import entities  # noqa: F401  (registers reports and dashboards)

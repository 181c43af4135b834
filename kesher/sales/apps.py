from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "kesher.sales"
    label = "sales"
    verbose_name = _("Sales")

    def ready(self):
        from kesher.sales import (
            duplicates,  # noqa: F401  (what a new lead is matched on)
            entities,  # noqa: F401  (registers leads, pipelines, deals)
        )

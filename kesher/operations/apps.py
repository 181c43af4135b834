from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OperationsConfig(AppConfig):
    """Running Kesher: backups and restores, and the full export of all data (REQ IM-5)."""

    name = "kesher.operations"
    label = "operations"
    verbose_name = _("Operations")

    def ready(self):
        # Scheduled backups and stalled full exports run on the worker's tick.
        from kesher.operations import backups, fullexport  # noqa: F401

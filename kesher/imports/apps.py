from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    """The import wizard and the full export (REQ IM-1, IM-2, IM-5)."""

    name = "kesher.imports"
    label = "imports"
    verbose_name = _("Import and export")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # The worker's resume hook; the timeline's "created by import" source.
        from kesher.imports import tasks, timeline  # noqa: F401

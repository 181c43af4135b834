from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlatformConfig(AppConfig):
    name = "kesher.platform"
    label = "platform"
    verbose_name = _("Platform")

    def ready(self):
        from . import checks, entities  # noqa: F401  (system checks; the platform's entities)

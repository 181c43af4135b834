from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlatformConfig(AppConfig):
    name = "kesher.platform"
    label = "platform"
    verbose_name = _("Platform")

    def ready(self):
        # System checks; the platform's entities; dead workers and bulk jobs (on the tick).
        from kesher.platform import checks, entities, workers  # noqa: F401
        from kesher.platform.bulk import actions  # noqa: F401

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GuideAppConfig(AppConfig):
    name = "tests.guide_app"
    label = "guide_app"
    verbose_name = _("Competitors")

    def ready(self):
        from tests.guide_app import entities  # noqa: F401  (registers competitors)

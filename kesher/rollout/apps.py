from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RolloutConfig(AppConfig):
    name = "kesher.rollout"
    label = "rollout"
    verbose_name = _("Roll-out")

    def ready(self):
        from kesher.rollout import entities  # noqa: F401  (registers stages, items, exercises)

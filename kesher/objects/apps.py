from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ObjectsConfig(AppConfig):
    name = "kesher.objects"
    label = "objects"
    verbose_name = _("Custom objects")

    def ready(self):
        from kesher.objects import entities  # noqa: F401  (registers definitions, loads objects)

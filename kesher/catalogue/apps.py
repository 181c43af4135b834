from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogueConfig(AppConfig):
    name = "kesher.catalogue"
    label = "catalogue"
    verbose_name = _("Catalogue")

    def ready(self):
        from kesher.catalogue import entities  # noqa: F401  (registers products, price lists…)

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "kesher.org"
    label = "org"
    verbose_name = _("Organization")

    def ready(self):
        from kesher.org import entities  # noqa: F401  (registers the organization's entities)

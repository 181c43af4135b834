from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DedupeConfig(AppConfig):
    name = "kesher.dedupe"
    label = "dedupe"
    verbose_name = _("Duplicates")

    def ready(self):
        # Attaches the duplicate finders to the accounts and contacts entities (registered by
        # kesher.customers, which INSTALLED_APPS lists before this app).
        from kesher.dedupe import specs  # noqa: F401

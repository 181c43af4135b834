from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "kesher.customers"
    label = "customers"
    verbose_name = _("Customers")

    def ready(self):
        from kesher.customers import entities  # noqa: F401  (registers accounts, contacts, relationships)

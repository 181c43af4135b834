from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QuotesConfig(AppConfig):
    name = "kesher.quotes"
    label = "quotes"
    verbose_name = _("Quotes and orders")

    def ready(self):
        from kesher.quotes import entities, triggers  # noqa: F401  (registers quotes, orders)

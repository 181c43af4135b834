from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TelephonyConfig(AppConfig):
    name = "kesher.telephony"
    label = "telephony"
    verbose_name = _("Telephony")

    def ready(self):
        from kesher.telephony import entities  # noqa: F401  (registers PBX connections, extensions)

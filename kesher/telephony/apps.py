from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TelephonyConfig(AppConfig):
    name = "kesher.telephony"
    label = "telephony"
    verbose_name = _("Telephony")

    def ready(self):
        from kesher.platform import stamps
        from kesher.telephony import entities  # noqa: F401  (registers PBX connections, extensions)
        from kesher.telephony.models import PbxConnection, PhoneExtension

        # Pages read who has an extension from a per-process cache (templatetags/telephony.py).
        stamps.renew_on_change("telephony", PbxConnection, PhoneExtension)

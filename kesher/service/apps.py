from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    name = "kesher.service"
    label = "service"
    verbose_name = _("Service")
    # The SLA compliance report in the service menu.
    menu_template = "service/menu_item.html"

    def ready(self):
        from kesher.platform.tasks import on_tick
        from kesher.service import (  # noqa: F401  (tickets, SLA, visit timeline, 360° figures)
            entities,
            overview,
            sla,
            visits,
        )
        from kesher.service.mail import poll_mailboxes

        on_tick(poll_mailboxes)

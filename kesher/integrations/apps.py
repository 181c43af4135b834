from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "kesher.integrations"
    label = "integrations"
    verbose_name = _("Messages and webhooks")

    def ready(self):
        from kesher.platform import events
        from kesher.platform.tasks import on_tick

        from . import entities, timeline  # noqa: F401  (registers email templates, timeline)
        from .delivery import deliver_messages, deliver_webhooks
        from .subscriptions import on_record_event

        on_tick(deliver_messages)
        on_tick(deliver_webhooks)
        events.subscribe("*", on_record_event)

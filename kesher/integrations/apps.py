from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "kesher.integrations"
    label = "integrations"
    verbose_name = _("Messages and webhooks")

    def ready(self):
        from kesher.integrations import entities, timeline  # noqa: F401  (registers email templates, timeline)
        from kesher.integrations.delivery import deliver_messages, deliver_webhooks
        from kesher.integrations.subscriptions import on_record_event
        from kesher.platform import events
        from kesher.platform.tasks import on_tick

        on_tick(deliver_messages)
        on_tick(deliver_webhooks)
        events.subscribe("*", on_record_event)

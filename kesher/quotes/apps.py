from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QuotesConfig(AppConfig):
    name = "kesher.quotes"
    label = "quotes"
    verbose_name = _("Quotes and orders")

    def ready(self):
        from kesher.integrations.attachments import register_attachments
        from kesher.platform.pdf import register_template_source
        from kesher.platform.registry import register_panel
        from kesher.quotes import (  # noqa: F401  (registers)
            doctemplates,
            entities,
            overview,
            services,
            triggers,
        )

        # Every printed document takes its administrator's template (decision 0085).
        register_template_source(doctemplates.texts_for)

        # A quote's e-mail carries its PDF as sent (decision 0077).
        register_attachments("quotes", services.quote_email_attachments)

        # A deal's page offers a quote made from it (REQ SA-10).
        register_panel(
            "quotes/_make_quote.html",
            applies=lambda entity: entity.key == "opportunities",
            kind="actions",
            order=50,
        )

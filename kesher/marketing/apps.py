from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketingConfig(AppConfig):
    name = "kesher.marketing"
    label = "marketing"
    verbose_name = _("Marketing")

    def ready(self):
        from kesher.marketing import (
            entities,  # noqa: F401  (registers campaigns, consents, sends)
            replies,  # noqa: F401  ("הסר" / STOP replies)
            scoring,  # noqa: F401  (scores on lead changes, its trigger)
        )
        from kesher.marketing.leadads import fetch_meta_leads
        from kesher.marketing.scoring import recompute_scores
        from kesher.marketing.sending import deliver_sends
        from kesher.platform.registry import register_panel
        from kesher.platform.tasks import on_tick

        # A person's page says when his number is on the do-not-call list (decision 0121).
        register_panel(
            "marketing/banners/_do_not_call.html",
            applies=lambda entity: entity.key in ("contacts", "leads"),
            kind="banners",
        )

        on_tick(deliver_sends)
        on_tick(fetch_meta_leads)
        on_tick(recompute_scores)

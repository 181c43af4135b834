from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApprovalsConfig(AppConfig):
    name = "kesher.approvals"
    label = "approvals"
    verbose_name = _("Approvals")

    def ready(self):
        from kesher.approvals import entities, timeline  # noqa: F401  (registers approval processes, timeline)
        from kesher.approvals.lock import locked_among, pending_approval_reason
        from kesher.approvals.templatetags.approvals import waiting_badge
        from kesher.platform.records.services import register_edit_guard
        from kesher.platform.registry import register_panel
        from kesher.platform.ui.context_processors import register_nav_slot

        # A record that may go to approval shows its round above its fields.
        register_panel(
            "approvals/banners/_approval.html",
            applies=lambda entity: entity.linkable,
            kind="banners",
            order=20,
        )

        # The menu's count of requests waiting for the user's decision.
        register_nav_slot("approvals-count", waiting_badge)

        # A record waiting for approval is not edited until it is decided (REQ AU-3).
        register_edit_guard(pending_approval_reason, among=locked_among)

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PurchasingConfig(AppConfig):
    name = "kesher.purchasing"
    label = "purchasing"
    verbose_name = _("Purchasing")

    def ready(self):
        from kesher.billing.exports import register_export
        from kesher.platform.records.services import register_edit_guard
        from kesher.platform.registry import register_panel
        from kesher.purchasing import (
            entities,  # noqa: F401  (registers the purchase documents)
            timeline,  # noqa: F401  (payments on the timelines)
        )
        from kesher.purchasing.exports import supplier_held, supplier_rows
        from kesher.purchasing.services import locked_among, locked_reason

        # A numbered purchase order and a recorded supplier invoice are the books' own: no
        # generic path (pages, API, bulk updates, imports, automation) changes them.
        register_edit_guard(locked_reason, among=locked_among)
        # The accountant's period files carry the supplier documents too (issue 17 item 5).
        register_export("suppliers", _("Supplier documents"), supplier_rows, supplier_held)
        # What we owe a supplier, on the account's page (payables).
        register_panel(
            "purchasing/_account_payables.html",
            applies=lambda entity: entity.key == "accounts",
            kind="banners",
            order=45,
        )

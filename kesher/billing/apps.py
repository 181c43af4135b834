from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "kesher.billing"
    label = "billing"
    verbose_name = _("Invoices and receipts")

    def ready(self):
        from kesher.activities.overview import Figure, register_alert_source, register_figure
        from kesher.billing import entities, triggers  # noqa: F401  (registers documents, terms…)
        from kesher.billing.alerts import overdue_alerts, payment_behaviour
        from kesher.billing.allocation import request_allocations
        from kesher.billing.services import document_locked_among, document_locked_reason
        from kesher.platform.records.services import register_edit_guard
        from kesher.platform.registry import register_panel
        from kesher.platform.tasks import on_tick

        # An issued tax document is never changed through any generic path: the pages, the
        # API, bulk updates, imports and automation all ask the guards (ISRAEL.md, §23א).
        register_edit_guard(document_locked_reason, among=document_locked_among)
        # Allocation numbers are requested by the worker, with back-off on an outage.
        on_tick(request_allocations)
        # "Debt overdue" in the alerts banner of a customer's file (REQ CU-8).
        register_alert_source("billing", overdue_alerts, entities=("accounts",))
        # The 360° view's "payment behaviour" slot: days paid after the terms (REQ CU-7).
        register_figure(
            Figure(
                "payment_behaviour",
                _("Payment behaviour"),
                payment_behaviour,
                entities=("accounts",),
                order=70,
            )
        )
        # An order's page offers the documents made from it; an account's page its balance.
        register_panel(
            "billing/_from_order.html",
            applies=lambda entity: entity.key == "orders",
            kind="actions",
            order=60,
        )
        register_panel(
            "billing/_account_balance.html",
            applies=lambda entity: entity.key == "accounts",
            kind="banners",
            order=40,
        )

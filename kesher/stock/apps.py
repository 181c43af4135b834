from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StockConfig(AppConfig):
    name = "kesher.stock"
    label = "stock"
    verbose_name = _("Stock")

    def ready(self):
        from kesher.billing.services import register_issue_hook
        from kesher.platform.registry import register_panel
        from kesher.stock import entities, triggers  # noqa: F401  (registers warehouses, trigger)
        from kesher.stock.services import document_issued

        # A delivery note issued moves its goods out of the chosen warehouse; a credit note
        # that returns goods moves them back in — inside the issuing transaction (decision 0083).
        register_issue_hook(document_issued)
        # A ticket's parts used on the job (REQ SV-12); a delivery or credit note's warehouse.
        register_panel(
            "stock/_ticket_parts.html",
            applies=lambda entity: entity.key == "tickets",
            kind="panels",
            order=70,
            label=_("Parts"),
            anchor="ticket-parts",
        )
        register_panel(
            "stock/_product_stock.html",
            applies=lambda entity: entity.key == "products",
            kind="panels",
            order=70,
        )
        register_panel(
            "stock/_document_stock.html",
            applies=lambda entity: entity.key == "tax-documents",
            kind="panels",
            order=70,
        )

"""Stock: warehouses (a technician's van is one), stock levels per product and warehouse, the
append-only ledger of stock moves, serial numbers from receipt to customer, and minimum levels
for low-stock alerts (issue 17 item 4; REQ SA-11, SV-12, RE-3; decision 0083).

A level is the sum of the ledger's moves into and out of its warehouse; only
``kesher.stock.services`` writes either, in one transaction, so the two never disagree.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from kesher.platform.fields import ACTIVE_USERS
from kesher.platform.models import EntityQuerySet, KesherModel

__all__ = [
    "QUANTITY",
    "MoveKind",
    "Serial",
    "StockLevel",
    "StockMove",
    "StockProduct",
    "Warehouse",
    "WarehouseChoice",
]

QUANTITY = {"max_digits": 12, "decimal_places": 3}
ZERO = Decimal("0")


class Warehouse(KesherModel):
    """A place stock is kept: a warehouse, or a field technician's van — the parts held by the
    technician (REQ SA-11). Its technician sees it (the ``own`` scope reads him as its owner)."""

    class Kind(models.TextChoices):
        WAREHOUSE = "warehouse", _("Warehouse")
        VAN = "van", _("Technician's van")

    name = models.CharField(_("name"), max_length=120, unique=True)
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices, default=Kind.WAREHOUSE)
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("technician"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="vans",
        limit_choices_to=ACTIVE_USERS,
    )
    active = models.BooleanField(_("active"), default=True)
    is_default = models.BooleanField(
        _("ships delivery notes"),
        default=False,
        help_text=_(
            "Delivery notes take their goods from here unless another warehouse is chosen."
        ),
    )
    allow_negative = models.BooleanField(
        _("may go below zero"),
        default=False,
        help_text=_(
            "Moves out of it are allowed beyond what it holds (an administrator's choice)."
        ),
    )
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("warehouse")
        verbose_name_plural = _("warehouses")
        indexes = [models.Index(fields=["technician", "active"], name="warehouse_technician")]

    def __str__(self):
        return self.name

    def clean(self):
        if self.kind == self.Kind.VAN and not self.technician_id:
            raise ValidationError({"technician": _("A van belongs to a technician.")})


class StockProduct(models.Model):
    """The stock side of a product (goods only): whether each unit carries a serial number
    that receipts record and deliveries name (REQ SA-11). Kept here, beside the catalogue."""

    product = models.OneToOneField(
        "catalogue.Product",
        verbose_name=_("product"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="stock",
    )
    serial_tracked = models.BooleanField(_("serial numbers"), default=False)

    class Meta:
        verbose_name = _("stock settings of a product")
        verbose_name_plural = _("stock settings of products")

    def __str__(self):
        return f"{self.product_id}: {self.serial_tracked}"


class StockLevel(models.Model):
    """How much of a product a warehouse holds, and the minimum below which it is low
    (REQ SA-11, RE-3). ``below_minimum`` remembers the last crossing, so the trigger fires
    once when the level falls below it — not on every move while it stays there."""

    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("warehouse"), on_delete=models.CASCADE, related_name="levels"
    )
    product = models.ForeignKey(
        "catalogue.Product",
        verbose_name=_("product"),
        on_delete=models.CASCADE,
        related_name="stock_levels",
    )
    quantity = models.DecimalField(_("quantity"), default=ZERO, **QUANTITY)
    minimum = models.DecimalField(_("minimum"), null=True, blank=True, **QUANTITY)
    below_minimum = models.BooleanField(_("low"), default=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    # Registered as parts of their warehouse (decision 0103): reportable, read through
    # ``visible_to``.
    objects = EntityQuerySet.as_manager()

    class Meta:
        ordering = ["warehouse", "product"]
        verbose_name = _("stock level")
        verbose_name_plural = _("stock levels")
        constraints = [
            models.UniqueConstraint(fields=["warehouse", "product"], name="stock_level_once")
        ]
        indexes = [models.Index(fields=["product", "warehouse"], name="stock_level_product")]

    def __str__(self):
        return f"{self.product_id}@{self.warehouse_id}: {self.quantity}"


class MoveKind(models.TextChoices):
    """What a stock move is (REQ SA-11, SV-12)."""

    RECEIPT = "receipt", _("Receipt from a supplier")
    DELIVERY = "delivery", _("Delivery to a customer")
    RETURN = "return", _("Customer return")
    TRANSFER = "transfer", _("Transfer between warehouses")
    ADJUSTMENT = "adjustment", _("Adjustment")
    PART_USE = "part_use", _("Part used on a service job")
    TO_SUPPLIER = "to_supplier", _("Return to a supplier")


class Serial(models.Model):
    """One unit of a serial-tracked product (REQ SA-11): where it is now — a warehouse, or
    gone to a customer — and, through its moves, its history from receipt to customer."""

    class Status(models.TextChoices):
        IN_STOCK = "in_stock", _("In stock")
        DELIVERED = "delivered", _("At a customer")
        USED = "used", _("Used on a service job")
        WRITTEN_OFF = "written_off", _("Written off")
        RETURNED = "returned", _("Returned to the supplier")

    product = models.ForeignKey(
        "catalogue.Product", verbose_name=_("product"), on_delete=models.PROTECT, related_name="+"
    )
    number = models.CharField(_("serial number"), max_length=80)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.IN_STOCK
    )
    warehouse = models.ForeignKey(
        Warehouse,
        verbose_name=_("warehouse"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="serials",
    )
    created_at = models.DateTimeField(_("received"), auto_now_add=True)

    class Meta:
        ordering = ["product", "number"]
        verbose_name = _("serial number")
        verbose_name_plural = _("serial numbers")
        constraints = [
            models.UniqueConstraint(fields=["product", "number"], name="serial_once_per_product")
        ]
        indexes = [models.Index(fields=["number"], name="serial_number")]

    def __str__(self):
        return self.number


class StockMove(models.Model):
    """One line of the append-only stock ledger (REQ SA-11, SV-12): what moved, how much,
    from and to which warehouse, at what unit cost, from which document or ticket, by whom
    and when. Never changed or deleted: a mistake is corrected by another move."""

    kind = models.CharField(_("type"), max_length=12, choices=MoveKind.choices)
    product = models.ForeignKey(
        "catalogue.Product", verbose_name=_("product"), on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.DecimalField(_("quantity"), **QUANTITY)
    from_warehouse = models.ForeignKey(
        Warehouse,
        verbose_name=_("from warehouse"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="moves_out",
    )
    to_warehouse = models.ForeignKey(
        Warehouse,
        verbose_name=_("to warehouse"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="moves_in",
    )
    unit_cost = models.DecimalField(
        _("unit cost"), null=True, blank=True, max_digits=14, decimal_places=2
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    reference = models.CharField(
        _("reference"), max_length=100, blank=True, help_text=_("A supplier's document number.")
    )
    document = models.ForeignKey(
        "billing.TaxDocument",
        verbose_name=_("document"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="stock_moves",
    )
    ticket = models.ForeignKey(
        "service.Ticket",
        verbose_name=_("ticket"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="stock_moves",
    )
    serials = models.ManyToManyField(
        Serial, verbose_name=_("serial numbers"), blank=True, related_name="moves"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    objects = EntityQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("stock move")
        verbose_name_plural = _("stock moves")
        indexes = [
            models.Index(fields=["product", "created_at"], name="stock_move_product"),
            models.Index(fields=["from_warehouse", "created_at"], name="stock_move_from"),
            models.Index(fields=["to_warehouse", "created_at"], name="stock_move_to"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.quantity.normalize():f}"


class WarehouseChoice(models.Model):
    """The warehouse a draft delivery note ships from, or a credit note's goods return to,
    with the serial numbers of its serial-tracked lines (line position → numbers). Stock's own
    row beside the document (decision 0083: billing's tables are not changed)."""

    document = models.OneToOneField(
        "billing.TaxDocument",
        verbose_name=_("document"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="stock_choice",
    )
    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT, related_name="+"
    )
    serials = models.JSONField(_("serial numbers"), default=dict, blank=True)

    class Meta:
        verbose_name = _("document's warehouse")
        verbose_name_plural = _("documents' warehouses")

    def __str__(self):
        return f"{self.document_id} → {self.warehouse_id}"

"""Every write of stock (issue 17 item 4; REQ SA-11, SV-12, RE-3; decision 0083).

``move_create`` is the one way stock changes: it checks the move, appends it to the ledger and
changes the levels it touches in the same transaction. A level leaves a warehouse by one
conditional ``UPDATE … SET quantity = quantity - q WHERE quantity >= q`` — atomic on SQLite
(IMMEDIATE transactions) and PostgreSQL (the row lock the UPDATE takes), so two writers can
never both take the last unit, and it never goes below zero unless the warehouse allows it
(``Warehouse.allow_negative``, data an administrator sets). Serial numbers move the same way:
an ``UPDATE … WHERE warehouse = from AND status = in stock`` that must touch every one named.
A level falling below its minimum fires the automation trigger once per crossing, after commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kesher.catalogue.models import Product
from kesher.platform.access import can
from kesher.stock.models import (
    MoveKind,
    Serial,
    StockLevel,
    StockMove,
    StockProduct,
    Warehouse,
    WarehouseChoice,
)
from kesher.stock.triggers import BELOW_MINIMUM

__all__ = [
    "clean_serials",
    "document_choice_set",
    "document_issued",
    "minimum_set",
    "move_create",
    "part_use",
    "product_stock_set",
]

ZERO = Decimal("0")
MAX_QUANTITY = Decimal("999999999")
# Which warehouses each kind of move takes: (from, to); None: must be empty.
ENDS = {
    MoveKind.RECEIPT: (False, True),
    MoveKind.DELIVERY: (True, False),
    MoveKind.RETURN: (False, True),
    MoveKind.TRANSFER: (True, True),
    MoveKind.PART_USE: (True, False),
    MoveKind.TO_SUPPLIER: (True, False),
}


def _refuse(field: str, message: str):
    raise ValidationError({field: [message]})


def may_move(user, warehouse: Warehouse) -> bool:
    """Whether ``user`` may move stock into or out of ``warehouse``: it is in his scope and
    his role may change warehouses — or it is his own van (the parts he holds, REQ SA-11)."""
    if not Warehouse.objects.visible_to(user).filter(pk=warehouse.pk).exists():
        return False
    return can(user, "warehouses", "change") or warehouse.technician_id == user.pk


def serial_tracked(product: Product) -> bool:
    return StockProduct.objects.filter(product=product, serial_tracked=True).exists()


def product_stock_set(product: Product, *, actor, serial_tracked: bool) -> StockProduct:
    """Whether a product's units carry serial numbers (REQ SA-11): goods only, and not
    switched off while serials of it are in stock."""
    if product.kind != Product.Kind.GOODS:
        _refuse("product", _("Services are not kept in stock."))
    if (
        not serial_tracked
        and Serial.objects.filter(product=product, status=Serial.Status.IN_STOCK).exists()
    ):
        _refuse("serial_tracked", _("Serial numbers of this product are in stock."))
    row, _created = StockProduct.objects.update_or_create(
        product=product, defaults={"serial_tracked": serial_tracked}
    )
    return row


def _level(warehouse: Warehouse, product: Product) -> StockLevel:
    level = StockLevel.objects.filter(warehouse=warehouse, product=product).first()
    if level is not None:
        return level
    try:
        # Two first moves of a product into a warehouse at once: one inserts, the other
        # finds its row (the unique constraint decides).
        with transaction.atomic():
            return StockLevel.objects.create(warehouse=warehouse, product=product)
    except IntegrityError:
        return StockLevel.objects.get(warehouse=warehouse, product=product)


@transaction.atomic
def minimum_set(*, actor, warehouse: Warehouse, product: Product, minimum) -> StockLevel:
    """The level below which a product is low in a warehouse (REQ SA-11); None: no minimum.
    Setting it does not fire the trigger: only a move that crosses it does."""
    if product.kind != Product.Kind.GOODS:
        _refuse("product", _("Services are not kept in stock."))
    minimum = None if minimum is None else Decimal(str(minimum))
    if minimum is not None and (
        not minimum.is_finite()
        or minimum < ZERO
        or minimum > MAX_QUANTITY
        or minimum != minimum.quantize(Decimal("0.001"))
    ):
        _refuse("minimum", _("Enter a minimum of zero or more."))
    level = _level(warehouse, product)
    level = StockLevel.objects.select_for_update().get(pk=level.pk)  # read, then written
    level.minimum = minimum
    level.below_minimum = minimum is not None and level.quantity < minimum
    level.save(update_fields=["minimum", "below_minimum", "updated_at"])
    return level


def clean_serials(serials: Iterable[str]) -> list[str]:
    """Serial numbers as kept: trimmed, at most 80 characters, blanks dropped; one named
    twice is refused."""
    numbers = [str(s).replace("\x00", "").strip()[:80] for s in serials]
    numbers = [n for n in numbers if n]
    if len(set(numbers)) != len(numbers):
        _refuse("serials", _("A serial number is named twice."))
    return numbers


def _check(
    *, actor, kind, product, quantity, from_warehouse, to_warehouse, reason, ticket, check_access
):
    if kind not in MoveKind.values:
        _refuse("kind", _("Choose the type of move."))
    if product is None:
        _refuse("product", _("Choose a product."))
    if product.kind != Product.Kind.GOODS:
        _refuse("product", _("Services are not kept in stock."))
    if quantity is None or not quantity.is_finite() or quantity <= ZERO or quantity > MAX_QUANTITY:
        _refuse("quantity", _("Enter a quantity above zero."))
    if quantity != quantity.quantize(Decimal("0.001")):
        _refuse("quantity", _("Enter at most three decimal places."))
    if kind == MoveKind.ADJUSTMENT:
        if bool(from_warehouse) == bool(to_warehouse):
            _refuse(
                "to_warehouse",
                _("An adjustment adds to one warehouse or takes from one."),
            )
        if not reason.strip():
            _refuse("reason", _("Say why the stock is adjusted."))
    else:
        needs_from, needs_to = ENDS[kind]
        if needs_from and from_warehouse is None:
            _refuse("from_warehouse", _("Choose the warehouse the goods leave."))
        if needs_to and to_warehouse is None:
            _refuse("to_warehouse", _("Choose the warehouse the goods enter."))
        if not needs_from and from_warehouse is not None:
            _refuse("from_warehouse", _("This move takes goods out of no warehouse."))
        if not needs_to and to_warehouse is not None:
            _refuse("to_warehouse", _("This move brings goods into no warehouse."))
    if from_warehouse is not None and from_warehouse == to_warehouse:
        _refuse("to_warehouse", _("Choose two different warehouses."))
    if kind == MoveKind.PART_USE and ticket is None:
        _refuse("ticket", _("A part is used on a ticket."))
    for name, warehouse in (("from_warehouse", from_warehouse), ("to_warehouse", to_warehouse)):
        if warehouse is None:
            continue
        if check_access and not may_move(actor, warehouse):
            _refuse(name, _("You may not move stock in that warehouse."))
        if not warehouse.active:
            _refuse(name, _("That warehouse is closed."))


def _move_serials(move, product, numbers, *, kind, from_warehouse, to_warehouse) -> None:
    if kind == MoveKind.RECEIPT or (kind == MoveKind.ADJUSTMENT and to_warehouse is not None):
        if Serial.objects.filter(product=product, number__in=numbers).exists():
            known = Serial.objects.filter(product=product, number__in=numbers)
            _refuse(
                "serials",
                _("Already recorded: %(numbers)s.")
                % {"numbers": ", ".join(known.values_list("number", flat=True)[:5])},
            )
        try:
            with transaction.atomic():
                Serial.objects.bulk_create(
                    [Serial(product=product, number=n, warehouse=to_warehouse) for n in numbers]
                )
        except IntegrityError:
            _refuse("serials", _("Those serial numbers were just recorded by someone else."))
    elif kind == MoveKind.RETURN:
        back = Serial.objects.filter(
            product=product,
            number__in=numbers,
            status__in=(Serial.Status.DELIVERED, Serial.Status.USED),
        ).update(warehouse=to_warehouse, status=Serial.Status.IN_STOCK)
        if back != len(numbers):
            _refuse("serials", _("Name serial numbers that went to a customer."))
    else:
        status = {
            MoveKind.DELIVERY: Serial.Status.DELIVERED,
            MoveKind.PART_USE: Serial.Status.USED,
            MoveKind.ADJUSTMENT: Serial.Status.WRITTEN_OFF,
            MoveKind.TO_SUPPLIER: Serial.Status.RETURNED,
        }.get(kind, Serial.Status.IN_STOCK)
        # Taken only if each is still in the warehouse: a conditional UPDATE, so two moves
        # cannot both take one serial.
        taken = Serial.objects.filter(
            product=product,
            number__in=numbers,
            warehouse=from_warehouse,
            status=Serial.Status.IN_STOCK,
        ).update(warehouse=to_warehouse, status=status)
        if taken != len(numbers):
            _refuse(
                "serials",
                _("Name serial numbers that are in %(warehouse)s.") % {"warehouse": from_warehouse},
            )
    move.serials.set(Serial.objects.filter(product=product, number__in=numbers))


def _take(warehouse: Warehouse, product: Product, quantity: Decimal) -> int | None:
    """Take ``quantity`` out; the level's id when it crossed below its minimum."""
    level = _level(warehouse, product)
    rows = StockLevel.objects.filter(pk=level.pk)
    if not warehouse.allow_negative:
        rows = rows.filter(quantity__gte=quantity)
    if not rows.update(quantity=F("quantity") - quantity, updated_at=timezone.now()):
        held = StockLevel.objects.get(pk=level.pk).quantity
        _refuse(
            "quantity",
            _("%(warehouse)s holds only %(held)s of %(product)s.")
            % {"warehouse": warehouse, "held": f"{held.normalize():f}", "product": product.name},
        )
    # The row is ours until the commit (the UPDATE locked it): its state is the one we left.
    crossed = StockLevel.objects.filter(
        pk=level.pk, minimum__isnull=False, quantity__lt=F("minimum"), below_minimum=False
    ).update(below_minimum=True)
    return level.pk if crossed else None


def _put(warehouse: Warehouse, product: Product, quantity: Decimal) -> None:
    level = _level(warehouse, product)
    StockLevel.objects.filter(pk=level.pk).update(
        quantity=F("quantity") + quantity, updated_at=timezone.now()
    )
    # Back at or above the minimum: the next fall below it is a new crossing.
    StockLevel.objects.filter(pk=level.pk, below_minimum=True, quantity__gte=F("minimum")).update(
        below_minimum=False
    )


def _fire_low(level_ids: list[int]) -> None:
    from kesher.automation import engine

    for level in StockLevel.objects.filter(pk__in=level_ids).select_related("product"):
        engine.fire(
            BELOW_MINIMUM,
            "warehouses",
            level.warehouse_id,
            info={
                "product": level.product_id,
                "product_name": level.product.name[:200],
                "quantity": str(level.quantity),
                "minimum": str(level.minimum),
            },
        )


@transaction.atomic
def move_create(
    *,
    actor,
    kind: str,
    product: Product,
    quantity: Decimal,
    from_warehouse: Warehouse | None = None,
    to_warehouse: Warehouse | None = None,
    unit_cost: Decimal | None = None,
    reason: str = "",
    reference: str = "",
    serials: Iterable[str] = (),
    document=None,
    ticket=None,
    check_access: bool = True,
) -> StockMove:
    """Append one move to the ledger and change the levels it touches (REQ SA-11, SV-12).
    Refused, with nothing written: a service product, a quantity not above zero, a warehouse
    the actor may not move stock in, more than the warehouse holds, serial numbers that are
    not where the move says. ``check_access=False`` for moves a document's issue makes (the
    issuer's right to issue it is the check)."""
    reason = (reason or "").replace("\x00", "").strip()[:200]
    reference = (reference or "").replace("\x00", "").strip()[:100]
    _check(
        actor=actor,
        kind=kind,
        product=product,
        quantity=quantity,
        from_warehouse=from_warehouse,
        to_warehouse=to_warehouse,
        reason=reason,
        ticket=ticket,
        check_access=check_access,
    )
    if unit_cost is not None and (
        not unit_cost.is_finite() or unit_cost < ZERO or unit_cost >= Decimal("1e12")
    ):
        _refuse("unit_cost", _("Enter a unit cost of zero or more."))
    numbers = clean_serials(serials)
    tracked = serial_tracked(product)
    if tracked:
        if quantity != quantity.to_integral_value() or len(numbers) != quantity:
            _refuse(
                "serials",
                _("Name one serial number for each unit (%(count)s).")
                % {"count": f"{quantity.normalize():f}"},
            )
    elif numbers:
        _refuse("serials", _("This product has no serial numbers."))
    move = StockMove.objects.create(
        kind=kind,
        product=product,
        quantity=quantity,
        from_warehouse=from_warehouse,
        to_warehouse=to_warehouse,
        unit_cost=unit_cost,
        reason=reason,
        reference=reference,
        document=document,
        ticket=ticket,
        actor=actor if getattr(actor, "pk", None) else None,
    )
    crossed = []
    if from_warehouse is not None:
        level = _take(from_warehouse, product, quantity)
        if level is not None:
            crossed.append(level)
    if to_warehouse is not None:
        _put(to_warehouse, product, quantity)
    if tracked:
        _move_serials(
            move,
            product,
            numbers,
            kind=kind,
            from_warehouse=from_warehouse,
            to_warehouse=to_warehouse,
        )
    if crossed:
        transaction.on_commit(lambda: _fire_low(crossed))
    return move


def part_use(
    ticket,
    *,
    actor,
    product: Product,
    quantity: Decimal,
    warehouse: Warehouse | None,
    serials: Iterable[str] = (),
) -> StockMove:
    """A part used on a service job (REQ SV-12): out of the warehouse — the technician's van
    by default — onto the ticket."""
    if warehouse is None:
        _refuse("from_warehouse", _("Choose the warehouse the goods leave."))
    return move_create(
        actor=actor,
        kind=MoveKind.PART_USE,
        product=product,
        quantity=quantity,
        from_warehouse=warehouse,
        serials=serials,
        ticket=ticket,
    )


# --- tax documents (the hook in billing's issue service, decision 0083) -----------------------


@transaction.atomic
def document_choice_set(document, *, actor, warehouse: Warehouse, serials: dict) -> None:
    """The warehouse a draft delivery note ships from, or a credit note's goods return to, and
    the serial numbers of its serial-tracked lines (position → numbers)."""
    from kesher.billing.models import DocumentKind

    if document.kind not in (DocumentKind.DELIVERY_NOTE, DocumentKind.CREDIT_NOTE):
        _refuse("warehouse", _("Only delivery notes and credit notes move stock."))
    if not document.is_draft:
        _refuse("warehouse", _("The document was issued: its stock moved already."))
    if not Warehouse.objects.visible_to(actor).filter(pk=warehouse.pk, active=True).exists():
        _refuse("warehouse", _("Choose a warehouse."))
    cleaned = {}
    for position, numbers in (serials or {}).items():
        numbers = clean_serials(numbers if isinstance(numbers, list) else [])
        if numbers:
            cleaned[str(position)] = numbers
    WarehouseChoice.objects.update_or_create(
        document=document, defaults={"warehouse": warehouse, "serials": cleaned}
    )


def _goods_lines(document):
    lines = document.lines.select_related("product").order_by("position")
    return [
        line
        for line in lines
        if line.product_id and line.product.kind == Product.Kind.GOODS and line.quantity > ZERO
    ]


def document_issued(document, *, actor) -> None:
    """Billing's issue hook: a delivery note's goods lines leave its warehouse (chosen, or the
    one that ships delivery notes); a credit note with a warehouse chosen brings its goods
    back as a customer return. A refusal (not enough stock, serials missing) refuses the
    issue, so the document stays a draft and its number is not taken."""
    from kesher.billing.models import DocumentKind

    if document.kind not in (DocumentKind.DELIVERY_NOTE, DocumentKind.CREDIT_NOTE):
        return
    choice = WarehouseChoice.objects.filter(document=document).select_related("warehouse").first()
    warehouse = choice.warehouse if choice else None
    if warehouse is None and document.kind == DocumentKind.DELIVERY_NOTE:
        warehouse = Warehouse.objects.filter(is_default=True, active=True).order_by("pk").first()
    if warehouse is None:
        return  # no stock kept, or a credit note that returns no goods
    kind = MoveKind.DELIVERY if document.kind == DocumentKind.DELIVERY_NOTE else MoveKind.RETURN
    serials = choice.serials if choice else {}
    for line in _goods_lines(document):
        try:
            move_create(
                actor=actor,
                kind=kind,
                product=line.product,
                quantity=line.quantity,
                from_warehouse=warehouse if kind == MoveKind.DELIVERY else None,
                to_warehouse=warehouse if kind == MoveKind.RETURN else None,
                unit_cost=line.unit_cost,
                serials=serials.get(str(line.position), []),
                document=document,
                check_access=False,
            )
        except ValidationError as error:
            texts = [t for ts in error.message_dict.values() for t in ts]
            _refuse(
                "__all__",
                _("Line %(position)s: %(problem)s")
                % {"position": line.position, "problem": " ".join(texts)},
            )

"""Every write of purchase orders, supplier invoices and supplier payments (issue 17; decision
0087).

Drafts change freely (their header through the generic write path, their lines through
``lines_set``). Ordering a purchase order takes the next gap-free number of its company in the
ordering transaction (``kesher.numbering``) and locks it; receiving it moves its goods into a
warehouse through ``kesher.stock.services.move_create``, in the same transaction. Recording a
supplier invoice fixes its shekel amounts at the rate of its date (or the rate the supplier
printed) and its due date by the payment terms, and locks it. A payment never exceeds the
invoice's open balance; the invoice's ``paid`` and ``balance`` are the sum of its payments,
recomputed with the invoice's row locked on every payment written or deleted.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kesher.catalogue.crediting import credited_lines
from kesher.catalogue.models import HOME_CURRENCY, ExchangeRate, Product, VatRate
from kesher.numbering.services import allocate_number
from kesher.platform.models import AuditEntry, Choice
from kesher.platform.records.audit import register_fact
from kesher.platform.records.search import index_record
from kesher.platform.records.services import (
    record_create,
    record_delete,
    record_update,
    write_audit,
)
from kesher.purchasing.models import (
    GoodsReceipt,
    GoodsReceiptLine,
    PaymentMeans,
    PurchaseOrder,
    PurchaseOrderLine,
    SupplierInvoice,
    SupplierInvoiceLine,
    SupplierPayment,
    SupplierPaymentAllocation,
)

__all__ = [
    "LineInput",
    "default_vat_rate",
    "lines_set",
    "locked_among",
    "locked_reason",
    "purchase_order_create",
    "purchase_order_order",
    "purchase_order_receive",
    "purchase_order_update",
    "supplier_credit_note_for",
    "supplier_invoice_create",
    "supplier_invoice_from_order",
    "supplier_invoice_record",
    "supplier_invoice_update",
    "supplier_payment_allocate",
    "supplier_payment_create",
    "supplier_payment_delete",
    "supplier_payment_update",
    "uncredited_lines",
]

ZERO = Decimal("0")
CENT = Decimal("0.01")
# A receipt of goods on the order's history: what each line received.
RECEIVED = register_fact("goods_received", gettext_lazy("goods received"))
RECEIPT_DOCUMENT = register_fact("goods_receipt", gettext_lazy("goods receipt"))
# A recorded credit note on the history of the invoice it credits.
CREDIT_NOTE = register_fact("supplier_credit_note", gettext_lazy("supplier credit note"))
# What a payment pays, invoice by invoice, on the payment's history.
ALLOCATIONS = register_fact("payment_allocations", gettext_lazy("allocated to invoices"))
MAX_AMOUNT = Decimal("1e11")
# A line as another document copies it (an order's into its invoice, an invoice's into its
# credit note).
COPIED_LINE = ("product_id", "name", "quantity", "unit_price", "vat_rate", "net", "vat", "total")
MAX_LINES = 500


def _round(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _refuse(message: str, field: str = "__all__"):
    raise ValidationError({field: [message]})


def _audit(record, actor, changes: dict) -> None:
    write_audit(record, actor=actor, action=AuditEntry.Action.UPDATE, changes=changes)


# --- the lock ----------------------------------------------------------------------------------


def locked_reason(instance) -> str | None:
    """Why a purchase document may not be changed or deleted through a generic path."""
    if isinstance(instance, PurchaseOrder) and instance.status != PurchaseOrder.Status.DRAFT:
        return _("An ordered purchase order is locked.")
    if isinstance(instance, SupplierInvoice) and instance.status != SupplierInvoice.Status.DRAFT:
        return _("A recorded supplier invoice is locked.")
    return None


def locked_among(entity_key: str, ids: list[int]) -> dict[int, str]:
    """The same for many records at once, {id: reason}, for the bulk actions."""
    if entity_key == "purchase-orders":
        model, reason = PurchaseOrder, _("An ordered purchase order is locked.")
    elif entity_key == "supplier-invoices":
        model, reason = SupplierInvoice, _("A recorded supplier invoice is locked.")
    else:
        return {}
    if not ids:
        return {}
    locked = model._base_manager.filter(pk__in=ids).exclude(status="draft")
    return dict.fromkeys(locked.values_list("pk", flat=True), reason)


def _require_draft(record) -> None:
    reason = locked_reason(record)
    if reason:
        _refuse(reason)


# --- rates ---------------------------------------------------------------------------------------


def default_vat_rate(product: Product | None, day) -> Decimal:
    """The VAT rate on ``day`` of the product's VAT category, or of the standard category for a
    line without a product (an expense): what a supplier charges by law (ISRAEL.md)."""
    if product is not None:
        category = product.vat_category_id
    else:
        category = (
            Choice.objects.filter(list_key="vat_category", value="standard")
            .values_list("pk", flat=True)
            .first()
        )
    rate = (
        VatRate.objects.filter(category=category, valid_from__lte=day)
        .order_by("-valid_from")
        .values_list("rate", flat=True)
        .first()
    )
    return rate if rate is not None else ZERO


def _rate_on(currency: str, day) -> Decimal:
    if currency == HOME_CURRENCY:
        return Decimal("1")
    rate = (
        ExchangeRate.objects.filter(currency=currency, valid_from__lte=day)
        .order_by("-valid_from")
        .values_list("rate", flat=True)
        .first()
    )
    if rate is None:
        _refuse(
            _("No exchange rate of %(currency)s on that date.") % {"currency": currency},
            "exchange_rate",
        )
    return rate


# --- lines ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineInput:
    """One line as typed: a product or a description, a quantity, a unit price before VAT and
    (optionally) a VAT rate — else the rate of the document's date. A product's line without a
    price takes the product's cost price."""

    name: str = ""
    quantity: Decimal | str | None = None
    unit_price: Decimal | str | None = None
    product: Product | None = None
    vat_rate: Decimal | str | None = None


def _decimal(value, index: int, *, low=ZERO, high=MAX_AMOUNT, places=2):
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        number = None
    if number is None or not number.is_finite() or number < low or number >= high:
        return None, _("Line %(n)s: enter a number of zero or more.") % {"n": index}
    if number != number.quantize(Decimal(1).scaleb(-places)):
        return None, _("Line %(n)s: at most %(places)s decimal places.") % {
            "n": index,
            "places": places,
        }
    return number, None


def _priced_lines(lines: list[LineInput], day) -> list[dict]:
    if len(lines) > MAX_LINES:
        _refuse(_("At most %(count)s lines.") % {"count": MAX_LINES}, "lines")
    errors: list[str] = []
    rows = []
    for index, line in enumerate(lines, start=1):
        name = (line.name or "").replace("\x00", "").strip()[:300]
        if not name and line.product is not None:
            name = line.product.name
        if not name:
            errors.append(_("Line %(n)s: describe it or choose a product.") % {"n": index})
        quantity, error = _decimal(line.quantity, index, places=3)
        if line.quantity in (None, "") or (error is None and quantity == ZERO):
            error = _("Line %(n)s: enter a quantity above zero.") % {"n": index}
        price = line.unit_price
        if price in (None, "") and line.product is not None:
            price = line.product.cost_price  # what we usually pay for it
        if price in (None, ""):
            price_error = _("Line %(n)s: enter the unit price.") % {"n": index}
        else:
            unit_price, price_error = _decimal(price, index)
        if line.vat_rate in (None, ""):
            vat_rate, rate_error = default_vat_rate(line.product, day), None
        else:
            vat_rate, rate_error = _decimal(line.vat_rate, index, high=Decimal(100))
        errors += [e for e in (error, price_error, rate_error) if e]
        if errors:
            continue
        net = _round(quantity * unit_price)
        vat = _round(net * vat_rate / 100)
        rows.append(
            {
                "position": index,
                "product": line.product,
                "name": name,
                "quantity": quantity,
                "unit_price": unit_price,
                "vat_rate": vat_rate,
                "net": net,
                "vat": vat,
                "total": net + vat,
            }
        )
    if errors:
        raise ValidationError({"lines": errors})
    return rows


@transaction.atomic
def lines_set(record, *, actor, lines: list[LineInput]):
    """Replace a draft's lines (a purchase order's or a supplier invoice's) and its totals."""
    model = type(record)
    # Lock the draft: its state is checked and its totals rewritten from the new lines.
    locked = model._base_manager.select_for_update().get(pk=record.pk)
    _require_draft(locked)
    if isinstance(locked, SupplierInvoice) and locked.is_credit_note:
        _refuse(_("A credit note's lines are the credited invoice's lines."), "lines")
    rows = _priced_lines(lines, locked.doc_date)
    if isinstance(locked, PurchaseOrder):
        PurchaseOrderLine.objects.filter(order=locked).delete()
        PurchaseOrderLine.objects.bulk_create(PurchaseOrderLine(order=locked, **r) for r in rows)
    else:
        SupplierInvoiceLine.objects.filter(invoice=locked).delete()
        SupplierInvoiceLine.objects.bulk_create(
            SupplierInvoiceLine(invoice=locked, **r) for r in rows
        )
    before = str(locked.total)
    for name in ("net", "vat", "total"):
        setattr(locked, name, sum((r[name] for r in rows), ZERO))
    locked.version += 1
    locked.updated_at = timezone.now()
    locked.save(update_fields=["net", "vat", "total", "version", "updated_at"])
    _audit(locked, actor, {"total": [before, str(locked.total)]})
    return locked


# --- purchase orders -----------------------------------------------------------------------------


@transaction.atomic
def purchase_order_create(*, actor, data: dict, m2m: dict | None = None) -> PurchaseOrder:
    """A draft purchase order to a supplier (REQ SA-10)."""
    return record_create("purchase-orders", actor=actor, data=data, m2m=m2m)


@transaction.atomic
def purchase_order_update(order, *, actor, data: dict, m2m=None, expected_version=None):
    """Change a draft's header; an ordered one is locked (the edit guard says why)."""
    return record_update(order, actor=actor, data=data, m2m=m2m, expected_version=expected_version)


@transaction.atomic
def purchase_order_order(order: PurchaseOrder, *, actor) -> PurchaseOrder:
    """Send the order: the next gap-free number of its company, taken inside this transaction
    (a rollback gives it back), and the lock."""
    # Lock the order: its state is read and then written.
    locked = PurchaseOrder._base_manager.select_for_update().get(pk=order.pk)
    _require_draft(locked)
    if not locked.lines.exists():
        _refuse(_("Add at least one line before ordering."), "lines")
    allocated = allocate_number(company=locked.company_id, doc_type="purchase_order")
    locked.number = allocated.display
    locked.number_value = allocated.number
    locked.status = PurchaseOrder.Status.ORDERED
    locked.ordered_at = locked.updated_at = timezone.now()
    locked.version += 1
    locked.save()
    _audit(
        locked,
        actor,
        {"status": [PurchaseOrder.Status.DRAFT, locked.status], "number": [None, locked.number]},
    )
    return locked


RECEIVABLE = (PurchaseOrder.Status.ORDERED, PurchaseOrder.Status.PARTLY_RECEIVED)


def _receipt_quantities(lines, quantities: dict | None) -> tuple[dict, list[str]]:
    """{line: quantity received now} from ``quantities`` (by line position; None: everything
    outstanding), and the refusals: a quantity that is no number, not above zero, finer than
    the line's thousandths or more than the line's outstanding quantity."""
    if quantities is None:
        return {line: line.outstanding for line in lines if line.outstanding > 0}, []
    by_position = {line.position: line for line in lines}
    now, errors = {}, []
    for position, raw in sorted(quantities.items(), key=lambda item: str(item[0])):
        line = by_position.get(int(position)) if str(position).isdigit() else None
        if line is None:
            errors.append(_("The order has no line %(n)s.") % {"n": position})
            continue
        where = {"n": line.position}
        if raw in (None, ""):
            continue
        try:
            quantity = Decimal(str(raw).strip())
        except InvalidOperation:
            quantity = None
        if quantity is None or not quantity.is_finite() or quantity < 0:
            errors.append(_("Line %(n)s: enter a number of zero or more.") % where)
        elif quantity != quantity.quantize(Decimal("0.001")):
            errors.append(
                _("Line %(n)s: at most %(places)s decimal places.") % {**where, "places": 3}
            )
        elif quantity > line.outstanding:
            errors.append(
                _("Line %(n)s: %(quantity)s is more than the %(outstanding)s still to receive.")
                % {
                    **where,
                    "quantity": f"{quantity.normalize():f}",
                    "outstanding": f"{line.outstanding.normalize():f}",
                }
            )
        elif quantity > 0:
            now[line] = quantity
    if not now and not errors:
        errors.append(_("Enter the quantity received of at least one line."))
    return now, errors


@transaction.atomic
def purchase_order_receive(
    order: PurchaseOrder,
    *,
    actor,
    warehouse=None,
    quantities: dict | None = None,
    serials: dict | None = None,
) -> PurchaseOrder:
    """Receive goods of an ordered purchase order (REQ SA-11, RE-3), all that is outstanding
    or, by line position, part of it (``quantities``); the rest comes later. Each line of goods
    received enters the warehouse as a receipt move, at the line's unit price as its cost;
    serial numbers by line position for serial-tracked products. Never more than a line's
    outstanding quantity; a refusal (or a stock refusal) receives nothing. The order is partly
    received until every line is received in full."""
    from kesher.stock.models import MoveKind
    from kesher.stock.services import move_create

    # Lock the order: two receipts at once must not both take the same outstanding quantity.
    locked = PurchaseOrder._base_manager.select_for_update().get(pk=order.pk)
    if locked.status not in RECEIVABLE:
        _refuse(_("Only an ordered purchase order is received."))
    warehouse = warehouse or locked.warehouse
    if warehouse is None:
        _refuse(_("Choose the warehouse the goods enter."), "warehouse")
    serials = serials or {}
    lines = list(locked.lines.select_related("product").order_by("position"))
    now, errors = _receipt_quantities(lines, quantities)
    if errors:
        raise ValidationError({"lines": errors})
    allocated = _receipt_number(locked.company_id)
    receipt = GoodsReceipt.objects.create(
        number=allocated.display,
        number_value=allocated.number,
        purchase_order=locked,
        supplier_id=locked.supplier_id,
        company_id=locked.company_id,
        warehouse=warehouse,
        received_by=actor if getattr(actor, "pk", None) else None,
        notes=str(locked)[:200],
    )
    index_record(receipt, new=True)  # found by its number and its order's
    received_lines = []
    for position, (line, quantity) in enumerate(now.items(), start=1):
        line.received += quantity
        received_lines.append(
            GoodsReceiptLine(
                receipt=receipt,
                position=position,
                order_line=line.position,
                product=line.product,
                name=line.name,
                quantity=quantity,
            )
        )
        if line.product is None or line.product.kind != Product.Kind.GOODS:
            continue  # services and plain expenses are not kept in stock
        try:
            move = move_create(
                actor=actor,
                kind=MoveKind.RECEIPT,
                product=line.product,
                quantity=quantity,
                to_warehouse=warehouse,
                unit_cost=line.unit_price,
                reference=locked.number,
                reason=f"{receipt.number} · {locked}"[:200],
                serials=serials.get(line.position, ()),
            )
        except ValidationError as error:
            messages = [m for ms in error.message_dict.values() for m in ms]
            raise ValidationError(
                {
                    "lines": [
                        _("Line %(n)s: %(reason)s") % {"n": line.position, "reason": m}
                        for m in messages
                    ]
                }
            ) from error
        if serials.get(line.position):
            received_lines[-1].serials = sorted(move.serials.values_list("number", flat=True))
    GoodsReceiptLine.objects.bulk_create(received_lines)
    PurchaseOrderLine.objects.bulk_update(list(now), ["received"])
    before = locked.status
    whole = all(line.received >= line.quantity for line in lines)
    locked.status = PurchaseOrder.Status.RECEIVED if whole else PurchaseOrder.Status.PARTLY_RECEIVED
    locked.warehouse = warehouse
    locked.received_at = locked.updated_at = timezone.now()
    locked.version += 1
    locked.save(update_fields=["status", "warehouse", "received_at", "updated_at", "version"])
    changes = {
        RECEIVED: [
            None,
            [f"#{line.position}: {quantity.normalize():f}" for line, quantity in now.items()],
        ],
        RECEIPT_DOCUMENT: [None, receipt.number],
    }
    if before != locked.status:
        changes["status"] = [before, locked.status]
    _audit(locked, actor, changes)
    locked.goods_receipt = receipt  # what this receiving made, for the page and the API
    return locked


GOODS_RECEIPT = "goods_receipt"


def _receipt_number(company_id):
    """The goods receipt's gap-free number, taken in the receiving's transaction; a company's
    first receipt starts its ``GR-`` series (the numbering service's default prefix; the
    prefix and width are data an administrator changes in the numbering settings)."""
    return allocate_number(company=company_id, doc_type=GOODS_RECEIPT)


# --- supplier invoices ---------------------------------------------------------------------------


def _raw(record, name: str):
    return getattr(record, record._meta.get_field(name).attname)


# What a credit note takes from the invoice it credits, never changed on it.
CREDIT_KEEPS = ("supplier", "currency", "exchange_rate", "purchase_order", "company")


def _check_invoice(data: dict, current: SupplierInvoice | None = None) -> dict:
    data = dict(data)
    if current is not None and current.is_credit_note:
        for name in CREDIT_KEEPS:
            if name in data and getattr(data[name], "pk", data[name]) != _raw(current, name):
                _refuse(_("A credit note keeps its invoice's supplier, currency and rate."), name)
    if "supplier_number" in data and isinstance(data["supplier_number"], str):
        data["supplier_number"] = data["supplier_number"].replace("\x00", "").strip()
    order = data.get("purchase_order", current.purchase_order if current else None)
    if order is not None and not isinstance(order, PurchaseOrder):
        order = PurchaseOrder.objects.filter(pk=order).first()
    supplier = data.get("supplier", current.supplier if current else None)
    if order is not None:
        if order.status == PurchaseOrder.Status.DRAFT:
            _refuse(_("Name an ordered purchase order."), "purchase_order")
        if supplier is not None and getattr(supplier, "pk", supplier) != order.supplier_id:
            _refuse(_("That purchase order is another supplier's."), "purchase_order")
    number = data.get("supplier_number", current.supplier_number if current else "")
    if supplier is not None and number:
        twins = SupplierInvoice.objects.filter(
            supplier=getattr(supplier, "pk", supplier), supplier_number__iexact=number
        )
        if current is not None:
            twins = twins.exclude(pk=current.pk)
        if twins.exists():
            _refuse(
                _("This supplier's invoice %(number)s is recorded already.") % {"number": number},
                "supplier_number",
            )
    return data


@transaction.atomic
def supplier_invoice_create(*, actor, data: dict, m2m: dict | None = None) -> SupplierInvoice:
    """A draft supplier invoice, under the supplier's own number; the same supplier's number
    twice is refused (the classic double entry of an expense)."""
    data = _check_invoice(data)
    if not data.get("payment_terms") and data.get("supplier"):
        from kesher.billing.models import CustomerTerms

        # The supplier's usual terms, as an account's (billing keeps them per account).
        data["payment_terms"] = (
            CustomerTerms.objects.filter(account=data["supplier"])
            .values_list("terms", flat=True)
            .first()
        )
    return record_create("supplier-invoices", actor=actor, data=data, m2m=m2m)


@transaction.atomic
def supplier_invoice_update(invoice, *, actor, data: dict, m2m=None, expected_version=None):
    """Change a draft's header; a recorded one is locked (the edit guard says why)."""
    _require_draft(invoice)
    data = _check_invoice(data, invoice)
    return record_update(
        invoice, actor=actor, data=data, m2m=m2m, expected_version=expected_version
    )


@transaction.atomic
def supplier_invoice_from_order(
    order: PurchaseOrder, *, actor, supplier_number: str, doc_date=None, **data
) -> SupplierInvoice:
    """The supplier's invoice for an ordered purchase order: its lines copied as ordered, the
    order named (the chain)."""
    if order.status == PurchaseOrder.Status.DRAFT:
        _refuse(_("Name an ordered purchase order."), "purchase_order")
    invoice = supplier_invoice_create(
        actor=actor,
        data={
            "supplier": order.supplier,
            "supplier_number": supplier_number,
            "purchase_order": order,
            "company": order.company,
            "currency": order.currency,
            "doc_date": doc_date or timezone.localdate(),
            **data,
        },
    )
    rows = [
        SupplierInvoiceLine(
            invoice=invoice,
            position=line.position,
            **{name: getattr(line, name) for name in COPIED_LINE},
        )
        for line in order.lines.order_by("position")
    ]
    SupplierInvoiceLine.objects.bulk_create(rows)
    for name in ("net", "vat", "total"):
        setattr(invoice, name, sum((getattr(r, name) for r in rows), ZERO))
    invoice.save(update_fields=["net", "vat", "total"])
    return invoice


@transaction.atomic
def supplier_invoice_record(invoice: SupplierInvoice, *, actor) -> SupplierInvoice:
    """Record the invoice in the books: shekel amounts per line at its rate (as printed, or
    the rate of its date), the due date by its terms, the open balance — and the lock. A credit
    note is recorded at its invoice's rate and takes its amount off that invoice's balance."""
    # Lock the invoice: its state is read and then written.
    locked = SupplierInvoice._base_manager.select_for_update().get(pk=invoice.pk)
    _require_draft(locked)
    lines = list(locked.lines.all())
    if not lines:
        _refuse(_("Add at least one line before recording."), "lines")
    if locked.is_credit_note:
        rate = locked.credited_invoice.exchange_rate
    else:
        rate = locked.exchange_rate or _rate_on(locked.currency, locked.doc_date)
    for line in lines:
        line.net_ils = _round(line.net * rate)
        line.vat_ils = _round(line.vat * rate)
        line.total_ils = line.net_ils + line.vat_ils
    SupplierInvoiceLine.objects.bulk_update(lines, ["net_ils", "vat_ils", "total_ils"])
    for name in ("net", "vat", "total", "net_ils", "vat_ils", "total_ils"):
        setattr(locked, name, sum((getattr(line, name) for line in lines), ZERO))
    locked.exchange_rate = rate
    if locked.is_credit_note:
        locked.due_date = None
        locked.balance = ZERO
    else:
        locked.due_date = (
            locked.payment_terms.due_date(locked.doc_date)
            if locked.payment_terms_id
            else locked.doc_date
        )
        locked.balance = locked.total
    locked.paid = ZERO
    locked.status = SupplierInvoice.Status.RECORDED
    locked.recorded_at = locked.updated_at = timezone.now()
    locked.version += 1
    locked.save()
    _audit(locked, actor, {"status": [SupplierInvoice.Status.DRAFT, locked.status]})
    if locked.is_credit_note:
        _settle(locked.credited_invoice_id, actor=actor, credit_note=locked)
        if locked.return_warehouse_id:
            _return_goods(locked, lines, actor=actor)
    return locked


def _return_goods(note: SupplierInvoice, lines, *, actor) -> None:
    """The goods a recorded credit note sends back leave its warehouse: a "return to a
    supplier" move per line of goods, in the recording's transaction (refused, nothing is
    recorded)."""
    from kesher.stock.models import MoveKind
    from kesher.stock.services import move_create

    products = Product.objects.in_bulk({line.product_id for line in lines if line.product_id})
    for line in sorted(lines, key=lambda line: line.position):
        product = products.get(line.product_id)
        if product is None or product.kind != Product.Kind.GOODS or line.quantity <= 0:
            continue  # services and plain expenses are not kept in stock
        try:
            move_create(
                actor=actor,
                kind=MoveKind.TO_SUPPLIER,
                product=product,
                quantity=line.quantity,
                from_warehouse=note.return_warehouse,
                unit_cost=line.unit_price,
                reference=note.supplier_number[:100],
                reason=str(note)[:200],
                serials=line.serials or (),
                check_access=False,  # checked when the note was made; recording is the right
            )
        except ValidationError as error:
            messages = [m for ms in error.message_dict.values() for m in ms]
            raise ValidationError(
                {
                    "lines": [
                        _("Line %(n)s: %(reason)s") % {"n": line.position, "reason": m}
                        for m in messages
                    ]
                }
            ) from error


# --- supplier credit notes -----------------------------------------------------------------------


def _returned_serials(open_lines, serials: dict, warehouse) -> dict[int, list[str]]:
    """The serial numbers each credited line sends back, by the invoice's line position:
    for a serial-tracked product sent back from ``warehouse``, one for each unit credited, each
    of that product and in that warehouse now; none for any other line. Refused, naming the
    line, otherwise (the recording's move checks them again under its lock)."""
    from kesher.stock.models import Serial, StockProduct
    from kesher.stock.services import clean_serials

    by_position = {line.position: line for line in open_lines}
    try:
        wanted = {int(position): numbers for position, numbers in serials.items()}
    except (TypeError, ValueError):
        _refuse(_("Name the serial numbers by the invoice's line."), "serials")
    stray = sorted(set(wanted) - set(by_position))
    if stray:
        _refuse(
            _("Line %(n)s is not credited: it sends back no serial numbers.")
            % {"n": ", ".join(str(n) for n in stray)},
            "serials",
        )
    tracked = set(
        StockProduct.objects.filter(
            product__in=[line.product_id for line in open_lines if line.product_id],
            product__kind=Product.Kind.GOODS,
            serial_tracked=True,
        ).values_list("product_id", flat=True)
    )
    picked: dict[int, list[str]] = {}
    errors = []
    for position, line in sorted(by_position.items()):
        where = {"n": position}
        if isinstance(wanted.get(position, ()), str):
            wanted[position] = wanted[position].replace(",", "\n").splitlines()
        try:
            numbers = clean_serials(wanted.get(position, ()))
        except ValidationError:
            errors.append(_("Line %(n)s: a serial number is named twice.") % where)
            continue
        if line.product_id not in tracked or warehouse is None:
            if numbers:
                errors.append(
                    _(
                        "Line %(n)s: serial numbers go back only with goods of a serial-tracked "
                        "product sent back from a warehouse."
                    )
                    % where
                )
            continue
        if line.quantity != line.quantity.to_integral_value() or len(numbers) != line.quantity:
            errors.append(
                _("Line %(n)s: name one serial number for each unit sent back (%(count)s).")
                % {**where, "count": f"{line.quantity.normalize():f}"}
            )
            continue
        held = set(
            Serial.objects.filter(
                product_id=line.product_id,
                number__in=numbers,
                warehouse=warehouse,
                status=Serial.Status.IN_STOCK,
            ).values_list("number", flat=True)
        )
        missing = [n for n in numbers if n not in held]
        if missing:
            errors.append(
                _("Line %(n)s: not in %(warehouse)s: %(numbers)s.")
                % {**where, "warehouse": warehouse, "numbers": ", ".join(missing[:5])}
            )
            continue
        picked[position] = numbers
    if errors:
        raise ValidationError({"serials": errors})
    return picked


# What a credit note takes of a line: its quantity and its amounts, so what is left of the line
# is the line less what its credit notes took, to the agora.
CREDITED_SUMS = ("net", "vat", "total")


def uncredited_lines(invoice: SupplierInvoice) -> list[SupplierInvoiceLine]:
    """The invoice's lines with what no credit note (draft or recorded) credits yet: each
    line's quantity and amounts less those its credit notes took (unsaved); a line credited in
    full is left out. A line is credited whole or in part, as often as quantity is left, so
    the credits add up to the invoice to the agora."""
    taken = {
        row.pop("source_line"): row
        for row in SupplierInvoiceLine.objects.filter(
            invoice__credited_invoice=invoice, invoice__kind=SupplierInvoice.Kind.CREDIT_NOTE
        )
        .values("source_line")
        .order_by("source_line")
        .annotate(**{name: Sum(name) for name in ("quantity", *CREDITED_SUMS)})
    }
    lines = []
    for line in invoice.lines.order_by("position"):
        took = taken.get(line.position)
        if took is not None:
            for name in ("quantity", *CREDITED_SUMS):
                setattr(line, name, getattr(line, name) - (took[name] or ZERO))
        if line.quantity or any(getattr(line, name) for name in CREDITED_SUMS):
            lines.append(line)
    return lines


@transaction.atomic
def supplier_credit_note_for(
    invoice: SupplierInvoice,
    *,
    actor,
    supplier_number: str,
    positions: list[int] | None = None,
    quantities: dict[int, Decimal] | None = None,
    return_warehouse=None,
    serials: dict | None = None,
    doc_date=None,
    notes: str = "",
) -> SupplierInvoice:
    """A draft credit note of the supplier against his recorded invoice, under the supplier's
    own number: all that is not credited yet of the invoice's lines, or of those at
    ``positions``; ``quantities`` ({position: quantity}) credits part of a line's quantity
    (goods partly returned), its amounts in proportion. ``return_warehouse``: the goods go
    back to the supplier from that warehouse — recorded, the note moves them out of it
    ("return to a supplier"). ``serials`` ({position: [numbers]}): for a serial-tracked
    product sent back, the units that go — one for each unit credited, each in that warehouse;
    the move takes exactly those out. Recorded (``supplier_invoice_record``), it reduces what we
    owe on the invoice."""
    # Lock the invoice: two credit notes made at once must not both credit the same line.
    invoice = SupplierInvoice._base_manager.select_for_update().get(pk=invoice.pk)
    if invoice.is_credit_note or invoice.status != SupplierInvoice.Status.RECORDED:
        _refuse(_("Only a recorded supplier invoice is credited."))
    open_lines = credited_lines(
        uncredited_lines(invoice), positions=positions, quantities=quantities, sums=CREDITED_SUMS
    )
    if not open_lines:
        _refuse(_("Every line of this invoice is credited already."), "lines")
    if return_warehouse is not None:
        from kesher.stock.services import may_move

        if not return_warehouse.active:
            _refuse(_("That warehouse is closed."), "return_warehouse")
        if not may_move(actor, return_warehouse):
            _refuse(_("You may not move stock in that warehouse."), "return_warehouse")
    picked = _returned_serials(open_lines, serials or {}, return_warehouse)
    data = _check_invoice(
        {
            "supplier": invoice.supplier,
            "supplier_number": supplier_number,
            "company": invoice.company,
            "currency": invoice.currency,
            "exchange_rate": invoice.exchange_rate,
            "expense_category": invoice.expense_category,
            "purchase_order": invoice.purchase_order,
            "owner": invoice.owner,
            "doc_date": doc_date or timezone.localdate(),
            "notes": notes,
        }
    )
    if not data["supplier_number"]:
        _refuse(_("Enter the number on the supplier's credit note."), "supplier_number")

    def credit(note, _old) -> list[str]:
        note.kind = SupplierInvoice.Kind.CREDIT_NOTE
        note.credited_invoice = invoice
        note.return_warehouse = return_warehouse
        return ["kind", "credited_invoice", "return_warehouse"]

    note = record_create("supplier-invoices", actor=actor, data=data, derive=credit)
    rows = [
        SupplierInvoiceLine(
            invoice=note,
            position=position,
            source_line=line.position,
            serials=picked.get(line.position, []),
            **{name: getattr(line, name) for name in COPIED_LINE},
        )
        for position, line in enumerate(open_lines, start=1)
    ]
    SupplierInvoiceLine.objects.bulk_create(rows)
    for name in ("net", "vat", "total"):
        setattr(note, name, sum((getattr(r, name) for r in rows), ZERO))
    note.save(update_fields=["net", "vat", "total"])
    return note


# --- supplier payments ---------------------------------------------------------------------------


def _settle(
    invoice_id: int,
    *,
    taking: Decimal | None = None,
    field: str = "amount",
    actor=None,
    credit_note: SupplierInvoice | None = None,
) -> SupplierInvoice:
    """Lock the invoice and set what payments allocated to it, what its recorded credit notes
    credited and its open balance. A payment taking ``taking`` of it now is refused when that
    takes the balance below zero; a ``credit_note`` that credits what was paid already frees
    that much of the payments (the newest first): an open credit with the supplier."""
    # Lock the invoice: two payments against it at once must not both fit its old balance.
    invoice = SupplierInvoice._base_manager.select_for_update().get(pk=invoice_id)
    allocations = SupplierPaymentAllocation.objects.filter(invoice_id=invoice_id)
    paid = allocations.aggregate(s=Sum("amount"))["s"] or ZERO
    credited = (
        SupplierInvoice._base_manager.filter(
            credited_invoice_id=invoice_id, status=SupplierInvoice.Status.RECORDED
        ).aggregate(s=Sum("total"))["s"]
        or ZERO
    )
    if credited + paid > invoice.total:
        if credit_note is not None:
            paid -= _free(invoice_id, credited + paid - invoice.total, actor=actor)
        else:
            balance = invoice.total - credited - (paid - (taking or ZERO))
            _refuse(
                _("Above the open balance of invoice %(number)s (%(balance)s).")
                % {"number": invoice.supplier_number, "balance": f"{balance:,.2f}"},
                field,
            )
    before = {"credited": str(invoice.credited), "balance": str(invoice.balance)}
    invoice.paid, invoice.credited = paid, credited
    invoice.balance = invoice.total - credited - paid
    invoice.save(update_fields=["paid", "credited", "balance"])
    if credit_note is not None:
        _audit(
            invoice,
            actor,
            {
                CREDIT_NOTE: [None, str(credit_note)],
                "credited": [before["credited"], str(invoice.credited)],
                "balance": [before["balance"], str(invoice.balance)],
            },
        )
    return invoice


def _allocation_text(rows) -> str:
    """A payment's allocations as its history keeps them: ``A-1: 300.00; A-2: 200.00``."""
    return "; ".join(f"{number}: {amount:.2f}" for number, amount in rows)


def _allocations_of(payment_id: int) -> list[tuple[str, Decimal]]:
    rows = SupplierPaymentAllocation.objects.filter(payment_id=payment_id).order_by("id")
    return list(rows.values_list("invoice__supplier_number", "amount"))


def _store_allocated(payment_id: int) -> SupplierPayment:
    """Set what the payment allocated in all, and the one invoice it names: the invoice it
    pays whole, else none."""
    payment = SupplierPayment._base_manager.get(pk=payment_id)
    rows = list(payment.allocations.values_list("invoice_id", "amount"))
    payment.allocated = sum((amount for _invoice, amount in rows), ZERO)
    whole = len(rows) == 1 and rows[0][1] == payment.settles
    payment.invoice_id = rows[0][0] if whole else None
    payment.save(update_fields=["allocated", "invoice"])
    return payment


def _free(invoice_id: int, excess: Decimal, *, actor) -> Decimal:
    """Take ``excess`` off the payments allocated to the invoice, the newest first; what they
    no longer pay is an open credit with the supplier."""
    freed = ZERO
    rows = SupplierPaymentAllocation.objects.filter(invoice_id=invoice_id).order_by(
        "-payment__paid_on", "-payment_id"
    )
    for row in rows.select_for_update():
        if freed >= excess:
            break
        cut = min(row.amount, excess - freed)
        before = _allocations_of(row.payment_id)
        if cut == row.amount:
            row.delete()
        else:
            row.amount -= cut
            row.save(update_fields=["amount"])
        freed += cut
        payment = _store_allocated(row.payment_id)
        after = _allocations_of(payment.pk)
        _audit(payment, actor, {ALLOCATIONS: [_allocation_text(before), _allocation_text(after)]})
    return freed


def _invoice_id(key) -> int | None:
    """An allocation's key: an invoice or its id (a form's or the API's text)."""
    key = getattr(key, "pk", key)
    return int(key) if str(key).isdigit() else None


def _wanted(payment: SupplierPayment, allocations: dict) -> dict[SupplierInvoice, Decimal]:
    """{invoice: amount} from {invoice or id: amount as typed}, or the refusals, all at once:
    an invoice that is not the supplier's recorded invoice in the payment's currency, an
    amount not above zero or not in agorot, more than the payment in all."""
    invoices = SupplierInvoice.objects.in_bulk([_invoice_id(key) for key in allocations])
    wanted, errors = {}, []
    for key, raw in allocations.items():
        invoice = invoices.get(_invoice_id(key))
        if invoice is None or invoice.supplier_id != payment.supplier_id:
            errors.append(_("Name an invoice of this supplier."))
            continue
        where = {"number": invoice.supplier_number}
        if invoice.status != SupplierInvoice.Status.RECORDED or invoice.is_credit_note:
            errors.append(_("Invoice %(number)s: pay a recorded supplier invoice.") % where)
            continue
        if invoice.currency != payment.currency:
            errors.append(
                _("Invoice %(number)s is in %(currency)s, the payment in %(paid_in)s.")
                % {**where, "currency": invoice.currency, "paid_in": payment.currency}
            )
            continue
        if raw in (None, ""):
            continue
        try:
            amount = Decimal(str(raw).strip())
        except InvalidOperation:
            amount = None
        if amount is None or not amount.is_finite() or amount < 0 or amount != _round(amount):
            errors.append(_("Invoice %(number)s: enter an amount in agorot.") % where)
        elif amount > 0:
            wanted[invoice] = amount
    total = sum(wanted.values(), ZERO)
    if not errors and total > payment.settles:
        errors.append(
            _("The invoices take %(total)s, more than the payment (%(amount)s).")
            % {"total": f"{total:,.2f}", "amount": f"{payment.settles:,.2f}"}
        )
    if errors:
        raise ValidationError({"allocations": errors})
    return wanted


def _allocate(
    payment: SupplierPayment, wanted: dict, *, actor, field: str, new: bool = False
) -> SupplierPayment:
    """Replace the payment's allocations by ``wanted`` ({invoice: amount}, checked) and settle
    every invoice they touch, in a fixed order (two payments settling the same invoices lock
    them alike). A change is written on the payment's history; a ``new`` payment's first
    allocations are not (its creation is the entry, and a later change shows them as before)."""
    before = _allocations_of(payment.pk)
    old = set(payment.allocations.values_list("invoice_id", flat=True))
    payment.allocations.all().delete()
    SupplierPaymentAllocation.objects.bulk_create(
        SupplierPaymentAllocation(payment=payment, invoice=invoice, amount=amount)
        for invoice, amount in wanted.items()
    )
    taking = {invoice.pk: amount for invoice, amount in wanted.items()}
    for invoice_id in sorted(old | set(taking)):
        _settle(invoice_id, taking=taking.get(invoice_id), field=field)
    stored = _store_allocated(payment.pk)
    after = _allocations_of(payment.pk)
    if after != before and not new:
        _audit(stored, actor, {ALLOCATIONS: [_allocation_text(before), _allocation_text(after)]})
    return stored


def _payment_data(data: dict, current: SupplierPayment | None = None) -> dict:
    data = dict(data)
    means = data.get("means", current.means if current else None)
    if means == PaymentMeans.CHEQUE and not (
        data.get("cheque_number", current.cheque_number if current else "")
    ):
        _refuse(_("A cheque's number is needed."), "cheque_number")
    invoice = data.get("invoice", current.invoice if current else None)
    if invoice is not None and not isinstance(invoice, SupplierInvoice):
        invoice = SupplierInvoice.objects.filter(pk=invoice).first()
    if invoice is None:
        return data
    if invoice.status != SupplierInvoice.Status.RECORDED or invoice.is_credit_note:
        _refuse(_("Pay a recorded supplier invoice."), "invoice")
    supplier = data.get("supplier") or (current.supplier if current else None) or invoice.supplier
    if getattr(supplier, "pk", supplier) != invoice.supplier_id:
        _refuse(_("That invoice is another supplier's."), "invoice")
    data["supplier"] = supplier
    return data


def _amounts_in(currency: str | None):
    """Derive a payment's currency (its invoice's, else ``currency``, else as it is), the
    rate of its day and its shekel amount."""

    def derive(payment: SupplierPayment, _old) -> list[str]:
        payment.currency = (
            payment.invoice.currency if payment.invoice_id else currency or payment.currency
        )
        payment.exchange_rate = _rate_on(payment.currency, payment.paid_on)
        payment.amount_ils = _round(payment.amount * payment.exchange_rate)
        payment.withholding_ils = _round(payment.withholding * payment.exchange_rate)
        return ["currency", "exchange_rate", "amount_ils", "withholding_ils"]

    return derive


@transaction.atomic
def supplier_payment_create(
    *, actor, data: dict, m2m: dict | None = None, allocations: dict | None = None
) -> SupplierPayment:
    """Pay a supplier: one recorded invoice (``invoice``), in part or in full, never above its
    open balance; or several of his invoices in one currency (``allocations``: {invoice: amount},
    their sum never above the payment); or nothing yet. What no invoice takes is an open credit
    with the supplier."""
    data = _payment_data(data)
    if allocations and data.get("invoice"):
        _refuse(_("Name one invoice, or allocate the payment over several."), "invoice")
    # The payment is in its invoices' currency (each is checked to be so).
    named = [_invoice_id(key) for key in allocations or {}]
    currency = (
        SupplierInvoice.objects.filter(pk__in=named).values_list("currency", flat=True).first()
    )
    payment = record_create(
        "supplier-payments", actor=actor, data=data, m2m=m2m, derive=_amounts_in(currency)
    )
    if payment.invoice_id:
        wanted, field = {payment.invoice: payment.settles}, "amount"
    elif allocations:
        wanted, field = _wanted(payment, allocations), "allocations"
    else:
        return payment
    return _allocate(payment, wanted, actor=actor, field=field, new=True)


@transaction.atomic
def supplier_payment_update(payment, *, actor, data: dict, m2m=None, expected_version=None):
    """Correct a payment: paying one invoice, it pays that one with its whole amount; else
    its allocations stay, and the amount may not fall below them."""
    previous = payment.invoice_id
    data = _payment_data(data, payment)
    payment = record_update(
        payment,
        actor=actor,
        data=data,
        m2m=m2m,
        expected_version=expected_version,
        derive=_amounts_in(None),
    )
    if payment.invoice_id:
        return _allocate(payment, {payment.invoice: payment.settles}, actor=actor, field="amount")
    if previous is not None:  # its invoice taken off: the whole payment is an open credit
        return _allocate(payment, {}, actor=actor, field="invoice")
    if payment.allocated > payment.settles:
        _refuse(
            _("Invoices take %(allocated)s of this payment: the amount cannot be less.")
            % {"allocated": f"{payment.allocated:,.2f}"},
            "amount",
        )
    return payment


@transaction.atomic
def supplier_payment_allocate(payment: SupplierPayment, *, actor, allocations: dict):
    """Allocate a payment over the supplier's recorded invoices in its currency ({invoice or
    id: amount}), replacing its allocations: none above an invoice's open balance, all
    together never above the payment; the rest is an open credit with the supplier."""
    # Lock the payment: its allocations are read and replaced.
    locked = SupplierPayment._base_manager.select_for_update().get(pk=payment.pk)
    return _allocate(locked, _wanted(locked, allocations), actor=actor, field="allocations")


@transaction.atomic
def supplier_payment_delete(payment, *, actor, expected_version=None) -> None:
    """Delete a payment entered by mistake: the invoices it paid are owed again."""
    invoice_ids = sorted(payment.allocations.values_list("invoice_id", flat=True))
    record_delete(payment, actor=actor, expected_version=expected_version)
    for invoice_id in invoice_ids:
        _settle(invoice_id)

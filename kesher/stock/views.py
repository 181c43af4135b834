"""Stock's pages: the stock levels report with the low ones marked, recording a move, serial
numbers and their history, a minimum, the parts used on a ticket, a delivery or credit note's
warehouse, a product's serial tracking (issue 17 item 4; decision 0083). Thin: each reads
through the selectors and writes through the services."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kesher.catalogue.models import Product, ProductGroup
from kesher.platform.access import can
from kesher.platform.ui.pages import entity_for, record_for
from kesher.stock import selectors, services
from kesher.stock.models import MoveKind

__all__: list[str] = []


def _messages(error: ValidationError) -> list[str]:
    if hasattr(error, "message_dict"):
        return [text for texts in error.message_dict.values() for text in texts]
    return list(error.messages)


def _decimal(value) -> Decimal | None:
    try:
        number = Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _int(value) -> int | None:
    """A record id from a query or form value; None for anything else (or out of range)."""
    text = str(value or "")
    return int(text) if text.isdigit() and len(text) <= 12 else None


def _serials(text: str) -> list[str]:
    """Serial numbers typed one a line, or separated by commas."""
    return [s.strip() for s in text.replace(",", "\n").splitlines() if s.strip()][:1000]


def _require_view(user) -> None:
    if not can(user, "warehouses", "view"):
        raise PermissionDenied


@require_GET
@login_required
def levels(request):
    """The stock levels report (REQ RE-3): by warehouse and product group, the low marked."""
    _require_view(request.user)
    filters = selectors.LevelFilters(
        warehouse=_int(request.GET.get("warehouse")),
        group=_int(request.GET.get("group")),
        low=request.GET.get("low") == "1",
    )
    rows = list(selectors.level_list(request.user, filters)[:2000])
    warehouses = list(selectors.visible_warehouses(request.user).order_by("name", "pk"))
    may_set = can(request.user, "warehouses", "change")
    return render(
        request,
        "stock/levels.html",
        {
            "rows": rows,
            "filters": filters,
            "warehouses": warehouses,
            "groups": ProductGroup.objects.filter(active=True).order_by("path", "pk"),
            "may_set_minimum": may_set,
            "may_move": selectors.movable_warehouses(request.user).exists(),
        },
    )


def _warehouse(request, name: str):
    pk = _int(request.POST.get(name))
    if pk is None:
        return None
    warehouse = selectors.visible_warehouses(request.user).filter(pk=pk).first()
    if warehouse is None:
        raise ValidationError({name: [_("Choose a warehouse you may use.")]})
    return warehouse


def _goods(pk) -> Product | None:
    return Product.objects.filter(pk=pk).first() if pk else None


@require_http_methods(["GET", "POST"])
@login_required
def move_new(request):
    """Record a move: a receipt from a supplier (with serial numbers), a transfer, an
    adjustment with its reason (REQ SA-11)."""
    _require_view(request.user)
    movable = list(selectors.movable_warehouses(request.user).order_by("name", "pk"))
    errors: list[str] = []
    values = request.POST if request.method == "POST" else request.GET
    if request.method == "POST":
        try:
            quantity = _decimal(values.get("quantity", ""))
            if quantity is None:
                raise ValidationError({"quantity": [_("Enter the quantity as a number.")]})
            cost = values.get("unit_cost", "").strip()
            unit_cost = _decimal(cost) if cost else None
            if cost and unit_cost is None:
                raise ValidationError({"unit_cost": [_("Enter the unit cost as a number.")]})
            move = services.move_create(
                actor=request.user,
                kind=values.get("kind", ""),
                product=_goods(_int(values.get("product"))),
                quantity=quantity,
                from_warehouse=_warehouse(request, "from_warehouse"),
                to_warehouse=_warehouse(request, "to_warehouse"),
                unit_cost=unit_cost,
                reason=values.get("reason", "")[:200],
                reference=values.get("reference", "")[:100],
                serials=_serials(values.get("serials", "")),
            )
        except ValidationError as error:
            errors = _messages(error)
        else:
            messages.success(request, _("The move was recorded: %(move)s.") % {"move": move})
            target = move.to_warehouse_id or move.from_warehouse_id
            return redirect(f"{reverse('stock_levels')}?warehouse={target}")
    kinds = [(k, label) for k, label in MoveKind.choices if k != MoveKind.PART_USE]
    return render(
        request,
        "stock/move_form.html",
        {
            "errors": errors,
            "values": values,
            "kinds": kinds,
            "warehouses": movable,
        },
    )


@require_POST
@login_required
def minimum(request):
    """Set a product's minimum level in a warehouse (REQ SA-11)."""
    if not can(request.user, "warehouses", "change"):
        raise PermissionDenied
    back = reverse("stock_levels")
    try:
        text = request.POST.get("minimum", "").strip()
        value = _decimal(text) if text else None
        if text and value is None:
            raise ValidationError({"minimum": [_("Enter the minimum as a number.")]})
        warehouse = _warehouse(request, "warehouse")
        product = _goods(_int(request.POST.get("product")))
        if warehouse is None or product is None:
            raise ValidationError({"product": [_("Choose a warehouse and a product.")]})
        services.minimum_set(
            actor=request.user, warehouse=warehouse, product=product, minimum=value
        )
    except ValidationError as error:
        for text in _messages(error):
            messages.error(request, text)
        return redirect(back)
    messages.success(request, _("The minimum was saved."))
    return redirect(f"{back}?warehouse={warehouse.pk}")


@require_GET
@login_required
def serials(request):
    """Serial numbers that are, or were, in the warehouses the user sees."""
    _require_view(request.user)
    number = request.GET.get("number", "")[:80]
    rows = list(selectors.serial_list(request.user, number=number)[:500])
    visible = set(selectors.visible_warehouses(request.user).values_list("pk", flat=True))
    return render(
        request, "stock/serials.html", {"rows": rows, "number": number, "visible": visible}
    )


@require_GET
@login_required
def serial_detail(request, pk):
    """A serial number's history from receipt to customer (REQ SA-11)."""
    _require_view(request.user)
    serial = selectors.serial_get(request.user, pk)
    if serial is None:
        raise Http404
    history = list(selectors.serial_history(serial))
    return render(
        request,
        "stock/serial.html",
        {
            "serial": serial,
            "history": selectors.shown_moves(request.user, history),
            "here": serial.warehouse
            if selectors.visible_warehouses(request.user).filter(pk=serial.warehouse_id).exists()
            else None,
        },
    )


@require_POST
@login_required
def ticket_parts(request, pk):
    """A part used on a ticket (REQ SV-12): out of the technician's van by default."""
    entity = entity_for("tickets", request.user, "change")
    ticket = record_for(entity, request.user, pk)
    back = reverse("entity_detail", args=["tickets", ticket.pk]) + "#ticket-parts"
    try:
        quantity = _decimal(request.POST.get("quantity", ""))
        if quantity is None:
            raise ValidationError({"quantity": [_("Enter the quantity as a number.")]})
        warehouse = _warehouse(request, "warehouse")
        services.part_use(
            ticket,
            actor=request.user,
            product=_goods(_int(request.POST.get("product"))),
            quantity=quantity,
            warehouse=warehouse,
            serials=_serials(request.POST.get("serials", "")),
        )
    except ValidationError as error:
        for text in _messages(error):
            messages.error(request, text)
        return redirect(back)
    messages.success(request, _("The part was recorded on the ticket."))
    return redirect(back)


@require_POST
@login_required
def document_warehouse(request, pk):
    """The warehouse a draft delivery note ships from, or a credit note's goods return to,
    with the serial numbers of its serial-tracked lines."""
    entity = entity_for("tax-documents", request.user, "change")
    document = record_for(entity, request.user, pk)
    back = reverse("entity_detail", args=["tax-documents", document.pk])
    try:
        warehouse = _warehouse(request, "warehouse")
        if warehouse is None:
            raise ValidationError({"warehouse": [_("Choose a warehouse.")]})
        numbers = {
            key.removeprefix("serials-"): _serials(value)
            for key, value in request.POST.items()
            if key.startswith("serials-") and key.removeprefix("serials-").isdigit()
        }
        services.document_choice_set(
            document, actor=request.user, warehouse=warehouse, serials=numbers
        )
    except ValidationError as error:
        for text in _messages(error):
            messages.error(request, text)
        return redirect(back)
    messages.success(request, _("The warehouse was saved."))
    return redirect(back)


@require_POST
@login_required
def product_stock(request, pk):
    """Whether a product's units carry serial numbers (REQ SA-11)."""
    entity = entity_for("products", request.user, "change")
    product = record_for(entity, request.user, pk)
    try:
        services.product_stock_set(
            product, actor=request.user, serial_tracked=request.POST.get("serial_tracked") == "1"
        )
    except ValidationError as error:
        for text in _messages(error):
            messages.error(request, text)
    else:
        messages.success(request, _("The stock settings were saved."))
    return redirect(reverse("entity_detail", args=["products", product.pk]))

"""Purchasing's own pages: a draft's lines, ordering and receiving a purchase order, the
supplier's invoice made from it, and recording a supplier invoice (issue 17; decision 0087).
Thin: the services decide, refusals come back as messages."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kesher.catalogue.models import Product
from kesher.platform.ui.pages import entity_for, record_for
from kesher.purchasing import services
from kesher.purchasing.models import PaymentMeans, SupplierInvoice
from kesher.purchasing.services import LineInput
from kesher.stock.models import Warehouse

__all__: list[str] = []

BLANK_ROWS = 3
DOCUMENTS = ("purchase-orders", "supplier-invoices")


def _messages(error: ValidationError) -> list[str]:
    if hasattr(error, "message_dict"):
        return [text for texts in error.message_dict.values() for text in texts]
    return list(error.messages)


def _to(key: str, record):
    return redirect(reverse("entity_detail", args=[key, record.pk]))


def _submitted_lines(post, products) -> list[LineInput]:
    lines = []
    rows = str(post.get("rows", ""))
    count = min(int(rows), services.MAX_LINES + BLANK_ROWS) if rows.isdigit() else 0
    for index in range(1, count + 1):
        name = post.get(f"name_{index}", "")
        quantity = post.get(f"quantity_{index}", "").strip()
        price = post.get(f"unit_price_{index}", "").strip()
        product_id = post.get(f"product_{index}", "")
        if not (name.strip() or quantity or price or product_id):
            continue  # an empty row
        lines.append(
            LineInput(
                name=name,
                quantity=quantity or None,
                unit_price=price or None,
                product=products.get(int(product_id)) if product_id.isdigit() else None,
                vat_rate=post.get(f"vat_rate_{index}", "").strip() or None,
            )
        )
    return lines


@require_http_methods(["GET", "POST"])
@login_required
def lines(request, key, pk):
    """Edit a draft's lines: each row a product or a description, quantity, unit price before
    VAT and its VAT rate (empty: the rate of the date)."""
    if key not in DOCUMENTS:
        raise Http404
    entity = entity_for(key, request.user, "change")
    record = record_for(entity, request.user, pk)
    # Only the products the rows name (each row picks one with the record picker).
    named = [v for k, v in request.POST.items() if k.startswith("product_") and v.isdigit()]
    products = {p.pk: p for p in Product.objects.filter(active=True, pk__in=named)}
    errors: list[str] = []
    if request.method == "POST":
        try:
            services.lines_set(
                record, actor=request.user, lines=_submitted_lines(request.POST, products)
            )
        except ValidationError as error:
            errors = _messages(error)
        else:
            messages.success(request, _("The lines were saved."))
            return _to(key, record)
    rows = list(record.lines.select_related("product")) + [None] * BLANK_ROWS
    context = {
        "entity": entity,
        "obj": record,
        "rows": rows,
        "errors": errors,
    }
    return render(request, "purchasing/lines.html", context, status=400 if errors else 200)


@require_POST
@login_required
def order_action(request, pk, action):
    """A purchase order's buttons: order it, receive it, make the supplier's invoice of it."""
    needed = "view" if action == "supplier-invoice" else "change"
    entity = entity_for("purchase-orders", request.user, needed)
    order = record_for(entity, request.user, pk)
    # Where the user lands: the order again, or the supplier's invoice made of it.
    target: tuple[str, object] = ("purchase-orders", order)
    try:
        if action == "order":
            order = services.purchase_order_order(order, actor=request.user)
            message = _("%(order)s was ordered.") % {"order": order}
        elif action == "receive":
            warehouse_id = request.POST.get("warehouse", "")
            warehouse = (
                Warehouse.objects.visible_to(request.user).filter(pk=warehouse_id).first()
                if warehouse_id.isdigit()
                else None
            )
            # The quantities typed per line (quantity_<position>); none sent: all outstanding.
            typed = {
                name.removeprefix("quantity_"): value
                for name, value in request.POST.items()
                if name.startswith("quantity_")
            }
            # The serial numbers typed per serial-tracked line (serials_<position>), one a
            # line or separated by commas.
            serials = {
                int(name.removeprefix("serials_")): value.replace(",", "\n").splitlines()
                for name, value in request.POST.items()
                if name.startswith("serials_")
                and name.removeprefix("serials_").isdigit()
                and value.strip()
            }
            received = services.purchase_order_receive(
                order,
                actor=request.user,
                warehouse=warehouse,
                quantities=typed or None,
                serials=serials,
            )
            message = (
                _("The goods were received into the warehouse.")
                if received.status == received.Status.RECEIVED
                else _("The goods were received; the rest is still outstanding.")
            )
            message = _("%(message)s Goods receipt %(number)s was made.") % {
                "message": message,
                "number": received.goods_receipt.number,
            }
        elif action == "supplier-invoice":
            entity_for("supplier-invoices", request.user, "add")
            invoice = services.supplier_invoice_from_order(
                order,
                actor=request.user,
                supplier_number=request.POST.get("supplier_number", ""),
                doc_date=parse_date(request.POST.get("doc_date", "") or "") or None,
            )
            target = ("supplier-invoices", invoice)
            message = _("The supplier's invoice was made as a draft.")
        else:
            raise Http404
    except ValidationError as error:
        for text in _messages(error):
            messages.error(request, text)
        return _to("purchase-orders", order)
    messages.success(request, message)
    return _to(*target)


@require_POST
@login_required
def invoice_record(request, pk):
    """Record a draft supplier invoice in the books."""
    entity = entity_for("supplier-invoices", request.user, "change")
    invoice = record_for(entity, request.user, pk)
    try:
        services.supplier_invoice_record(invoice, actor=request.user)
    except ValidationError as error:
        for text in _messages(error):
            messages.error(request, text)
    else:
        messages.success(request, _("The supplier invoice was recorded."))
    return _to("supplier-invoices", invoice)


def _return_warehouse(request) -> Warehouse | None:
    """The warehouse the credited goods leave, among those the user sees (none: no goods)."""
    pk = request.POST.get("return_warehouse", "")
    if not pk.isdigit():
        return None
    warehouse = Warehouse.objects.visible_to(request.user).filter(pk=pk).first()
    if warehouse is None:
        raise Http404
    return warehouse


@require_POST
@login_required
def invoice_credit_note(request, pk):
    """The supplier's credit note against his recorded invoice, as a draft: the lines ticked,
    each by the quantity entered beside it (all that is left, unless less is entered), under
    the supplier's number; it opens to be checked and recorded."""
    entity = entity_for("supplier-invoices", request.user, "add")
    invoice = record_for(entity, request.user, pk)
    positions = [int(v) for v in request.POST.getlist("position") if v.isdigit()]
    quantities = {}
    for position in positions:
        entered = request.POST.get(f"quantity_{position}", "").strip()
        if entered:
            try:
                quantities[position] = Decimal(entered)
            except InvalidOperation:
                quantities[position] = None  # refused by the service, with the line named
    # The serial numbers going back, typed per line (serials_<position>), one a line or
    # separated by commas.
    serials = {
        position: request.POST.get(f"serials_{position}", "")
        for position in positions
        if request.POST.get(f"serials_{position}", "").strip()
    }
    try:
        note = services.supplier_credit_note_for(
            invoice,
            actor=request.user,
            supplier_number=request.POST.get("supplier_number", ""),
            positions=positions,
            quantities=quantities,
            return_warehouse=_return_warehouse(request),
            serials=serials,
            doc_date=parse_date(request.POST.get("doc_date", "") or "") or None,
        )
    except ValidationError as error:
        for text in _messages(error):
            messages.error(request, text)
        return _to("supplier-invoices", invoice)
    messages.success(request, _("The credit note was made as a draft: check it and record it."))
    return _to("supplier-invoices", note)


PAYMENT_FIELDS = ("means", "bank", "branch", "bank_account", "cheque_number", "reference")


def _open_invoices(user, supplier_id: int, payment=None) -> list:
    """The supplier's recorded invoices the reader sees that still owe, and those the payment
    pays already, oldest due first."""
    owing = Q(balance__gt=0)
    if payment is not None:
        owing |= Q(allocations__payment=payment)
    return list(
        SupplierInvoice.objects.visible_to(user)
        .filter(owing, supplier_id=supplier_id, status="recorded", kind="invoice")
        .distinct()
        .order_by("due_date", "pk")
    )


def _rows(invoices, post, current: dict) -> list[tuple]:
    """Each open invoice with the amount its field shows: as typed, else what it takes now."""
    return [
        (
            invoice,
            post.get(f"allocate_{invoice.pk}", "")
            if post
            else (f"{current[invoice.pk]:.2f}" if invoice.pk in current else ""),
        )
        for invoice in invoices
    ]


def _typed_allocations(post, invoices) -> dict:
    return {
        invoice.pk: post.get(f"allocate_{invoice.pk}", "").strip()
        for invoice in invoices
        if post.get(f"allocate_{invoice.pk}", "").strip()
    }


@require_http_methods(["GET", "POST"])
@login_required
def pay_supplier(request, pk):
    """One payment over several of the supplier's open invoices: the payment, what each
    invoice takes of it; the rest stays an open credit with the supplier."""
    entity = entity_for("supplier-payments", request.user, "add")
    accounts = entity_for("accounts", request.user, "view")
    supplier = record_for(accounts, request.user, pk)
    invoices = _open_invoices(request.user, supplier.pk)
    errors: list[str] = []
    if request.method == "POST":
        data = {name: request.POST.get(name, "").strip() for name in PAYMENT_FIELDS}
        data.update(
            supplier=supplier,
            paid_on=parse_date(request.POST.get("paid_on", "") or "") or None,
            amount=request.POST.get("amount", "").strip() or None,
            withholding=request.POST.get("withholding", "").strip() or None,
            notes=request.POST.get("notes", ""),
        )
        data = {k: v for k, v in data.items() if v not in (None, "") or k == "supplier"}
        try:
            payment = services.supplier_payment_create(
                actor=request.user,
                data=data,
                allocations=_typed_allocations(request.POST, invoices),
            )
        except ValidationError as error:
            errors = _messages(error)
        else:
            messages.success(request, _("The payment was recorded."))
            return _to("supplier-payments", payment)
    context = {
        "entity": entity,
        "supplier": supplier,
        "payment": None,
        "rows": _rows(invoices, request.POST, {}),
        "means": PaymentMeans.choices,
        "posted": request.POST,
        "errors": errors,
    }
    return render(request, "purchasing/allocate.html", context, status=400 if errors else 200)


@require_http_methods(["GET", "POST"])
@login_required
def allocate_payment(request, pk):
    """Allocate a payment (its open credit) over the supplier's open invoices."""
    entity = entity_for("supplier-payments", request.user, "change")
    payment = record_for(entity, request.user, pk)
    invoices = _open_invoices(request.user, payment.supplier_id, payment)
    errors: list[str] = []
    if request.method == "POST":
        try:
            services.supplier_payment_allocate(
                payment,
                actor=request.user,
                allocations=_typed_allocations(request.POST, invoices),
            )
        except ValidationError as error:
            errors = _messages(error)
        else:
            messages.success(request, _("The payment was allocated."))
            return _to("supplier-payments", payment)
    current = dict(payment.allocations.values_list("invoice_id", "amount"))
    context = {
        "entity": entity,
        "supplier": payment.supplier,
        "payment": payment,
        "rows": _rows(invoices, request.POST, current),
        "posted": request.POST,
        "errors": errors,
    }
    return render(request, "purchasing/allocate.html", context, status=400 if errors else 200)

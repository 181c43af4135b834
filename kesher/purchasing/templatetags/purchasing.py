"""What purchasing shows on other records' pages (decision 0087)."""

from django import template

from kesher.platform.access import can
from kesher.purchasing.selectors import payables_of

register = template.Library()


@register.simple_tag(takes_context=True)
def account_payables(context, account):
    """The supplier's payables, for readers who may see supplier invoices (not reps: supplier
    costs are not theirs); None for an account that never invoiced us."""
    user = context["request"].user
    if not can(user, "supplier-invoices", "view"):
        return None
    return payables_of(account, user)


@register.simple_tag
def purchase_lines(record) -> list:
    """A purchase document's lines, with their products; ``serial_tracked`` on each says
    whether its units are received by serial number. Two queries."""
    from kesher.stock.models import StockProduct

    lines = list(record.lines.select_related("product").order_by("position"))
    tracked = set(
        StockProduct.objects.filter(
            product__in=[line.product_id for line in lines if line.product_id],
            serial_tracked=True,
        ).values_list("product_id", flat=True)
    )
    for line in lines:
        line.serial_tracked = line.product_id in tracked
    return lines


@register.simple_tag(takes_context=True)
def allocations_of(context, record) -> list:
    """What a payment pays, invoice by invoice; or an invoice's payments the reader sees, with
    what each pays of it. One query."""
    from kesher.purchasing.models import SupplierPayment, SupplierPaymentAllocation

    rows = SupplierPaymentAllocation.objects.order_by("id")
    if isinstance(record, SupplierPayment):
        return list(rows.filter(payment=record).select_related("invoice"))
    seen = SupplierPayment.objects.visible_to(context["request"].user)
    return list(rows.filter(invoice=record, payment__in=seen).select_related("payment"))


@register.simple_tag
def uncredited_lines(invoice) -> list:
    """The invoice's lines with what no credit note credits yet; ``serial_tracked`` on each
    says whether the units going back are named by serial number."""
    from kesher.purchasing.services import uncredited_lines as lines_of
    from kesher.stock.models import StockProduct

    lines = list(lines_of(invoice))
    tracked = set(
        StockProduct.objects.filter(
            product__in=[line.product_id for line in lines if line.product_id],
            serial_tracked=True,
        ).values_list("product_id", flat=True)
    )
    for line in lines:
        line.serial_tracked = line.product_id in tracked
    return lines


@register.simple_tag(takes_context=True)
def receiving_warehouses(context) -> list:
    """The open warehouses the reader may receive goods into."""
    from kesher.stock.models import Warehouse

    user = context["request"].user
    return list(Warehouse.objects.visible_to(user).filter(active=True).order_by("name"))

"""What we sold, by product group, in the customer 360° view (issue 16 item 6; REQ SA-14,
CU-7): the account's confirmed orders' lines the reader may see, their net amount in shekels
(at each order's stored rate) and quantities, summed by the product's group — the largest
three, the rest together. It fills the "Revenue by product group" slot the activities app
keeps (``kesher.activities.overview.SLOTS``)."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import F, Sum
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from kesher.activities.overview import Figure, register_figure
from kesher.platform.access import can
from kesher.quotes.models import Order, OrderLine
from kesher.sales.selectors import money

__all__ = ["sold_by_group"]

SHOWN_GROUPS = 3


def sold_by_group(account, user) -> list[dict] | None:
    """The account's sales by product group, largest first: {group, amount (₪), quantity};
    None when the reader may see no orders. Optional lines are no sale; a line without a
    product or a group counts under "other"."""
    if not can(user, "orders", "view"):
        return None
    orders = Order.objects.visible_to(user).filter(account=account, status=Order.Status.CONFIRMED)
    language = (get_language() or "he")[:2]
    rows = (
        OrderLine.objects.filter(order__in=orders.values("pk"), optional=False)
        .values("product__group_id", "product__group__name_he", "product__group__name_en")
        .annotate(amount=Sum(F("net") * F("order__exchange_rate")), quantity=Sum("quantity"))
        .order_by()
    )
    result = []
    for row in rows:
        name = (row["product__group__name_en"] if language == "en" else "") or row[
            "product__group__name_he"
        ]
        result.append(
            {
                "group": name or _("other"),
                "amount": (row["amount"] or Decimal(0)).quantize(Decimal("0.01")),
                "quantity": row["quantity"] or Decimal(0),
            }
        )
    result.sort(key=lambda row: (-row["amount"], row["group"]))
    return result


def _quantity(value: Decimal) -> str:
    return f"{value.normalize():f}" if value == value.to_integral() else f"{value:f}"


def _revenue_by_group(record, user):
    rows = sold_by_group(record, user)
    if rows is None:
        return None
    if not rows:
        return _("none yet")
    shown = rows[:SHOWN_GROUPS]
    rest = rows[SHOWN_GROUPS:]
    parts = [
        f"{row['group']}: {money(row['amount'])} ({_quantity(row['quantity'])})" for row in shown
    ]
    if rest:
        parts.append(
            _("%(n)s more groups: %(amount)s")
            % {"n": len(rest), "amount": money(sum((row["amount"] for row in rest), Decimal(0)))}
        )
    return " · ".join(parts)


def _orders_list(record, user) -> str:
    return f"{reverse('entity_list', args=['orders'])}?account={record.pk}&status=confirmed"


register_figure(
    Figure(
        "revenue_by_group",
        gettext_lazy("Revenue by product group"),
        _revenue_by_group,
        entities=("accounts",),
        order=60,
        link=_orders_list,
    )
)

"""What we sold by product group in the customer 360° view (issue 16 item 6; REQ SA-14,
CU-7): confirmed orders only, optional lines left out, foreign currencies in shekels at the
order's rate, and only the orders the reader may see."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kesher.activities.overview import figures_for
from kesher.catalogue.tests.factories import make_product
from kesher.quotes.models import Order
from kesher.quotes.overview import sold_by_group
from kesher.quotes.services import LineInput, order_confirm, order_create, order_set_lines

pytestmark = pytest.mark.django_db


def _order(rep, account, *lines, confirm=True):
    order = order_create(actor=rep, data={"account": account})
    order = order_set_lines(order, actor=rep, lines=list(lines))
    return order_confirm(order, actor=rep) if confirm else order


def test_the_360_view_shows_what_the_customer_bought_by_product_group(
    users, account, catalogue, client_for
):
    rep = users["sales_rep"]
    admin = users["admin"]
    service = make_product(admin, name="התקנה", group=catalogue["hardware"], list_price="50.00")
    laptop = catalogue["laptop"].pk
    _order(
        rep,
        account,
        LineInput(product=laptop, quantity=Decimal(3)),
        LineInput(product=service.pk, quantity=Decimal(2)),
        LineInput(product=service.pk, quantity=Decimal(9), optional=True),
    )
    _order(rep, account, LineInput(product=laptop, quantity=Decimal(1)))
    _order(rep, account, LineInput(product=laptop, quantity=Decimal(7)), confirm=False)
    rows = sold_by_group(account, rep)
    assert [(r["group"], r["amount"], r["quantity"]) for r in rows] == [
        ("מחשבים ניידים", Decimal("360.00"), Decimal(4)),
        ("חומרה", Decimal("100.00"), Decimal(2)),
    ]
    figure = {f["key"]: f for f in figures_for(account, rep)}["revenue_by_group"]
    assert "מחשבים ניידים" in figure["value"]
    assert "(4)" in figure["value"]
    assert "status=confirmed" in figure["url"]
    # The second rep sees none of the first rep's orders; a role without orders sees "—".
    assert sold_by_group(account, users["sales_rep2"]) == []
    page = client_for(rep).get(f"/r/accounts/{account.pk}/").content.decode()
    assert "מחשבים ניידים" in page


def test_a_product_group_target_counts_what_orders_sold_of_the_group(users, account, catalogue):
    """Sales targets by product group (issue 16 item 6; REQ SA-14): the actual is confirmed
    orders' lines of the group and its sub-groups in the period — amount before VAT and
    quantity —, a person's own; deals won count only for targets without a group."""
    from kesher.platform.records.services import record_create
    from kesher.sales.selectors import attainment

    rep = users["sales_rep"]
    laptop = catalogue["laptop"].pk
    _order(rep, account, LineInput(product=laptop, quantity=Decimal(3)))
    _order(rep, account, LineInput(product=laptop, quantity=Decimal(9)), confirm=False)
    other = make_product(users["admin"], name="כבל", list_price="10.00")  # no group

    _order(rep, account, LineInput(product=other.pk, quantity=Decimal(5)))
    today = Order.objects.filter(status="confirmed").first().doc_date

    def target(**data):
        return record_create(
            "sales-targets",
            actor=users["admin"],
            data={"period": "month", "starts_on": today, "amount": Decimal(1000), **data},
        )

    hardware = target(level="person", user=rep, product_group=catalogue["hardware"], count=10)
    laptops = target(level="company", product_group=catalogue["laptops"])
    theirs = target(level="person", user=users["sales_rep2"], product_group=catalogue["hardware"])
    deals = target(level="person", user=rep)
    rows = {a.target: a for a in attainment([hardware, laptops, theirs, deals])}
    assert (rows[hardware].actual_amount, rows[hardware].actual_count) == (Decimal("270.00"), 3)
    assert rows[hardware].count_percent == 30
    assert rows[laptops].actual_amount == Decimal("270.00")
    assert (rows[theirs].actual_amount, rows[theirs].actual_count) == (Decimal("0.00"), 0)
    assert (rows[deals].actual_amount, rows[deals].actual_count) == (Decimal("0.00"), 0)

"""What we sold by product group in the customer 360° view (issue 16 item 6; REQ SA-14,
CU-7): confirmed orders only, optional lines left out, foreign currencies in shekels at the
order's rate, and only the orders the reader may see."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kesher.activities.overview import figures_for
from kesher.catalogue.tests.factories import make_product
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

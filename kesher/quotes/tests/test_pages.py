"""The quote page's grid, buttons and the customer's signed link (REQ SA-9, SA-10)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core import signing
from django.urls import reverse

from kesher.quotes.models import Order, Quote
from kesher.quotes.services import quote_send
from kesher.quotes.tests.factories import line, make_quote
from kesher.quotes.views import acceptance_token
from kesher.sales.tests.factories import make_opportunity

pytestmark = pytest.mark.django_db


def _grid(product_ids, quantities, discounts, **extra):
    return {
        "product": [*map(str, product_ids), ""],
        "name": ["" for _ in product_ids] + [""],
        "quantity": [*quantities, "1"],
        "discount": [*discounts, "0"],
        "period": ["" for _ in product_ids] + [""],
        "periods": ["" for _ in product_ids] + [""],
        **extra,
    }


def test_the_grid_prices_on_the_server(users, account, catalogue, client_for):
    """SA-10: the htmx grid posts its rows; the answer is the grid with the server's totals."""
    rep = users["sales_rep"]
    quote = make_quote(rep, account)
    client = client_for(rep)
    laptop = catalogue["laptop"].pk
    response = client.post(
        reverse("quote_lines", args=[quote.pk]),
        _grid([laptop], ["2"], ["0"]),
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="total-total">₪212.40' in body  # 2 × 90 + 18%
    quote.refresh_from_db()
    assert quote.total == Decimal("212.40")
    # Removing the line; a bad number is refused with nothing written.
    bad = client.post(
        reverse("quote_lines", args=[quote.pk]),
        _grid([laptop], ["abc"], ["0"]),
        HTTP_HX_REQUEST="true",
    )
    assert 'id="grid-errors"' in bad.content.decode()
    quote.refresh_from_db()
    assert quote.total == Decimal("212.40")
    client.post(
        reverse("quote_lines", args=[quote.pk]),
        _grid([laptop], ["2"], ["0"], drop_line=["0"]),
        HTTP_HX_REQUEST="true",
    )
    quote.refresh_from_db()
    assert quote.total == 0


def test_the_page_shows_the_grid_and_the_margin_to_who_sees_costs(
    users, account, catalogue, client_for
):
    rep = users["sales_rep"]
    quote = make_quote(rep, account, line(catalogue["laptop"], "2", "15"))
    page = client_for(users["manager"]).get(reverse("entity_detail", args=["quotes", quote.pk]))
    body = page.content.decode()
    assert 'id="lines-grid"' in body
    assert 'id="total-margin"' in body
    assert 'id="over-limit"' in body
    rep_page = client_for(rep).get(reverse("entity_detail", args=["quotes", quote.pk]))
    assert 'id="quote-request-approval"' in rep_page.content.decode()


def test_sending_from_the_page(users, account, catalogue, client_for):
    rep = users["sales_rep"]
    quote = make_quote(rep, account, line(catalogue["laptop"]))
    client_for(rep).post(reverse("quote_action", args=[quote.pk, "send"]))
    quote.refresh_from_db()
    assert quote.status == Quote.Status.SENT
    assert quote.number


def test_a_quote_from_a_deal(users, account, client_for):
    rep = users["sales_rep"]
    deal = make_opportunity(rep, account=account)
    page = client_for(rep).get(reverse("entity_detail", args=["opportunities", deal.pk]))
    assert 'id="make-quote"' in page.content.decode()
    response = client_for(rep).post(reverse("quote_from_opportunity", args=[deal.pk]))
    quote = Quote.objects.get(opportunity=deal)
    assert response.url == reverse("entity_detail", args=["quotes", quote.pk])


def test_the_customer_accepts_through_the_signed_link(
    users, account, catalogue, client_for, django_capture_on_commit_callbacks
):
    """SA-10: no sign-in; one click makes the order; a tampered or old version's link is 404."""
    rep = users["sales_rep"]
    deal = make_opportunity(rep, account=account)
    quote = make_quote(rep, account, line(catalogue["laptop"]), opportunity=deal)
    quote = quote_send(quote, actor=rep)
    url = reverse("customer_quote", args=[acceptance_token(quote)])
    anonymous = client_for(None)
    page = anonymous.get(url)
    assert page.status_code == 200
    assert 'id="accept-quote"' in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        accepted = anonymous.post(url)
    assert 'id="quote-accepted"' in accepted.content.decode()
    assert Order.objects.get(quote=quote).number == "SO-00001"
    deal.refresh_from_db()
    assert deal.stage.outcome == "won"
    assert anonymous.post(url).status_code == 200
    assert Order.objects.count() == 1
    forged = signing.dumps({"q": quote.pk, "r": 1}, salt="other")
    assert anonymous.get(reverse("customer_quote", args=[forged])).status_code == 404
    old = signing.dumps({"q": quote.pk, "r": 2}, salt="kesher.quotes.accept", compress=True)
    assert anonymous.get(reverse("customer_quote", args=[old])).status_code == 404

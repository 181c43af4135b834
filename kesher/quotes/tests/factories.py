"""Quotes and orders for tests, through the services."""

from __future__ import annotations

from decimal import Decimal

from kesher.quotes.services import LineInput, quote_create, quote_set_lines


def line(product, quantity="1", discount="0", **extra) -> LineInput:
    return LineInput(
        product=product.pk,
        quantity=Decimal(quantity),
        discount_percent=Decimal(discount),
        **extra,
    )


def make_quote(actor, account, *lines, **data):
    quote = quote_create(actor=actor, data={"name": "הצעה", "account": account, **data})
    if lines:
        quote = quote_set_lines(quote, actor=actor, lines=list(lines))
    return quote

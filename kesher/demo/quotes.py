"""The demo's quotes and orders (issue 16): each sales rep's first open deal gets a quote from
the catalogue — one sent and waiting for the customer, one with a discount above the rep's
limit waiting for his manager's approval, one a draft —, one quote accepted by its customer
became an order, and a quick sale was made at the counter. Everything goes through the quotes'
services, as the reps would."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from kesher.catalogue.models import Product
from kesher.org.models import User
from kesher.quotes.services import (
    LineInput,
    order_confirm,
    order_create,
    order_set_lines,
    quote_accept,
    quote_from_opportunity,
    quote_request_approval,
    quote_send,
    quote_set_lines,
)
from kesher.sales.models import Opportunity

__all__ = ["create_quotes"]

TERMS = "המחירים בש״ח. תנאי תשלום: שוטף + 30. אספקה תוך 14 ימי עבודה מאישור ההזמנה."


def _line(sku: dict, code: str, quantity: str, discount: str = "0", **extra) -> LineInput:
    return LineInput(
        product=sku[code],
        quantity=Decimal(quantity),
        discount_percent=Decimal(discount),
        **extra,
    )


def create_quotes(users: dict[str, User], reps: list[str]) -> None:
    sku = dict(Product.objects.values_list("sku", "pk"))
    today = timezone.localdate()
    valid = today + datetime.timedelta(days=30)
    plans = [
        # what the rep offers, and how far the quote went
        (
            [_line(sku, "LAP-14", "5"), _line(sku, "MON-27", "5"), _line(sku, "MSE-01", "10")],
            "sent",
        ),
        (
            [
                _line(sku, "PRJ-RNT", "1", period="week", periods=Decimal(2)),
                _line(sku, "LAP-16", "2", "15"),
            ],
            "approval",
        ),
        ([_line(sku, "CRM-LIC", "10", "5"), _line(sku, "SRV-01", "1", optional=True)], "draft"),
    ]
    for username, (lines, outcome) in zip(reps, plans, strict=False):
        rep = users[username]
        deal = (
            Opportunity.objects.open()
            .filter(owner=rep, account__isnull=False)
            .order_by("pk")
            .first()
        )
        if deal is None:
            continue
        quote = quote_from_opportunity(deal, actor=rep, data={"valid_until": valid, "terms": TERMS})
        quote = quote_set_lines(quote, actor=rep, lines=lines)
        if outcome == "sent":
            quote_send(quote, actor=rep)
        elif outcome == "approval":
            quote_request_approval(quote, actor=rep)
    # A quote a customer accepted (no deal behind it), and the order it became.
    rep = users[reps[-1]]
    deal = Opportunity.objects.filter(owner=rep, account__isnull=False).order_by("-pk").first()
    if deal is not None:
        from kesher.quotes.services import quote_create

        quote = quote_create(
            actor=rep,
            data={
                "name": "ציוד משרדי לסניף החדש",
                "account": deal.account,
                "valid_until": valid,
                "terms": TERMS,
            },
        )
        quote = quote_set_lines(
            quote,
            actor=rep,
            lines=[_line(sku, "DSK-01", "4"), _line(sku, "MON-27", "4"), _line(sku, "MSE-01", "4")],
        )
        quote_send(quote, actor=rep)
        quote_accept(quote, actor=None, via="אושר בקישור ששלחנו ללקוח")
        # A quick sale at the counter, for the same customer.
        order = order_create(actor=rep, data={"name": "מכירה בדלפק", "account": deal.account})
        order = order_set_lines(order, actor=rep, lines=[_line(sku, "MSE-01", "2")])
        order_confirm(order, actor=rep)

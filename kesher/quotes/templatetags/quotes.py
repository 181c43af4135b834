"""The quote and order pages' helpers: amounts in the document's currency, the grid's
context, the customer's link."""

from __future__ import annotations

from django import template

from kesher.platform.ui.display import format_money, format_number

register = template.Library()

SYMBOLS = {"ILS": "₪", "USD": "$", "EUR": "€", "GBP": "£"}


@register.filter
def doc_money(value, currency="ILS"):
    """An amount in the document's currency: ``₪1,234.50``, ``$80.00``, ``CHF 80.00``."""
    if value is None or value == "":
        return ""
    if currency in (None, "", "ILS"):
        return format_money(value)
    text = format_number(value, 2)
    symbol = SYMBOLS.get(currency)
    sign = ""
    if text.startswith("-"):
        sign, text = "-", text[1:]
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{currency} {text}"


@register.simple_tag(takes_context=True)
def line_grid(context, document):
    """The grid's context for ``document`` (one query for its lines)."""
    from kesher.quotes.views import grid_context

    return grid_context(document, context["request"].user)


@register.simple_tag(takes_context=True)
def customer_link(context, quote):
    from kesher.quotes.views import acceptance_url

    return acceptance_url(context["request"], quote)

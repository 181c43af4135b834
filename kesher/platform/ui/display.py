"""Values as users read them on pages: labels for pick-lists, names for links, phones in
national form, dates in the reader's time zone (DESIGN.md "Localization")."""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import cast

from django.db import models
from django.utils import dateformat, timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy, ngettext

from kesher.platform.fields import PhoneField, format_phone_national
from kesher.platform.records.many import hidden_count

__all__ = [
    "OP_LABELS",
    "PERIOD_LABELS",
    "PhoneText",
    "field_display",
    "format_money",
    "format_number",
    "format_when",
]

OP_LABELS = {
    "eq": gettext_lazy("is"),
    "ne": gettext_lazy("is not"),
    "in": gettext_lazy("is one of"),
    "not_in": gettext_lazy("is none of"),
    "contains": gettext_lazy("contains"),
    "not_contains": gettext_lazy("does not contain"),
    "starts_with": gettext_lazy("starts with"),
    "empty": gettext_lazy("is empty"),
    "not_empty": gettext_lazy("is not empty"),
    "gt": gettext_lazy("greater than"),
    "gte": gettext_lazy("at least"),
    "lt": gettext_lazy("less than"),
    "lte": gettext_lazy("at most"),
    "between": gettext_lazy("between"),
    "before": gettext_lazy("before"),
    "after": gettext_lazy("after"),
    "on_or_before": gettext_lazy("on or before"),
    "on_or_after": gettext_lazy("on or after"),
    "within_last_days": gettext_lazy("within the last days"),
    "within_next_days": gettext_lazy("within the next days"),
    "period": gettext_lazy("in the period"),
    "has": gettext_lazy("has"),
    "has_not": gettext_lazy("does not have"),
}
PERIOD_LABELS = {
    "today": gettext_lazy("today"),
    "yesterday": gettext_lazy("yesterday"),
    "this_week": gettext_lazy("this week"),
    "last_week": gettext_lazy("last week"),
    "this_month": gettext_lazy("this month"),
    "last_month": gettext_lazy("last month"),
    "this_quarter": gettext_lazy("this quarter"),
    "this_year": gettext_lazy("this year"),
    "last_year": gettext_lazy("last year"),
}


class PhoneText(str):
    """A stored E.164 number as people read it (``052-555-1234``), which a page shows as a
    click-to-dial link (``tel:``; REQ IN-2): text wherever text is wanted (exports, merge
    fields), a link wherever the template engine escapes it (``__html__``). Telephony's script
    turns a click on it into a call through the phone system for users whose extension dials."""

    is_phone = True
    e164: str

    def __new__(cls, e164: str):
        shown = super().__new__(cls, format_phone_national(e164))
        shown.e164 = e164
        return shown

    def __html__(self) -> str:
        return format_html(
            '<a href="tel:{}" class="kesher-dial" data-dial="{}" dir="ltr"><bdi>{}</bdi></a>',
            self.e164,
            self.e164,
            str.__str__(self),
        )


def field_display(obj, name: str):
    """A field's value as text for pages: labels for choices, names for links."""
    field = obj._meta.get_field(name)
    if isinstance(field, models.ManyToManyField):
        shown = ", ".join(str(v) for v in getattr(obj, name).all())
        hidden = hidden_count(obj, name)
        if not hidden:
            return shown
        others = ngettext(
            "%(count)s more you may not see", "%(count)s more you may not see", hidden
        ) % {"count": hidden}
        return f"{shown} (+{others})" if shown else f"({others})"
    value = getattr(obj, name)
    reads = getattr(field, "value_display", None)
    if reads is not None:
        # A field that knows how people read it (role keys as the roles' names).
        return reads(value)
    if value is None or value == "":
        return ""
    if isinstance(field, PhoneField):
        return PhoneText(value)
    if (
        isinstance(field, models.JSONField)
        and isinstance(value, list)
        and all(isinstance(item, str | int) for item in value)
    ):
        # A list of plain values (a line's serial numbers) reads as a list, not as Python.
        return ", ".join(str(item) for item in value)
    if field.choices:
        return getattr(obj, f"get_{name}_display")()
    if isinstance(field, models.DecimalField):
        if not hasattr(field, "money_currency_field"):
            return format_number(value)
        currency_field = field.money_currency_field
        return format_money(value, getattr(obj, currency_field) if currency_field else None)
    return format_when(value)


def format_when(value):
    """Dates as dd/mm/yyyy, date-times as dd/mm/yyyy HH:MM in the user's time zone and times of
    day as HH:MM; any other value unchanged (DESIGN.md "Localization")."""
    if isinstance(value, datetime.datetime):
        return dateformat.format(timezone.localtime(value), "d/m/Y H:i")
    if isinstance(value, datetime.date):
        return dateformat.format(value, "d/m/Y")
    if isinstance(value, datetime.time):
        return value.strftime("%H:%M")
    return value


def format_number(value, places: int | None = None) -> str:
    """A number with thousands separators (``1,234.5``); ``places`` fixes the decimals, else
    they are kept as given. Anything that is no number is returned as text."""
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    if not number.is_finite():
        return str(value)
    if places is None:
        places = max(0, -cast(int, number.as_tuple().exponent))  # a finite number's is an int
    return f"{number:,.{places}f}"


# Currencies written by their sign; any other by its ISO code (``CHF 80.00``).
CURRENCY_SIGNS = {"ILS": "₪", "USD": "$", "EUR": "€", "GBP": "£"}


def format_money(value, currency: str | None = None) -> str:
    """An amount as Israelis write it: ``₪1,234.50`` (``-₪80.00`` below zero); in another
    ``currency`` ``$80.00`` or ``CHF 80.00``. None or "ILS": shekels."""
    text = format_number(value, 2)
    if not text[-1:].isdigit():
        return text
    sign = ""
    if text.startswith("-"):
        sign, text = "-", text[1:]
    code = currency or "ILS"
    symbol = CURRENCY_SIGNS.get(code)
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{code} {text}"

"""Template helpers of printed documents (kesher/platform/pdf.py; decision 0077)."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()

# Unicode's left-to-right isolate and its end: WeasyPrint ignores CSS ``unicode-bidi``, but
# its text layout (Pango, FriBidi) honours these, so a number, a code or an e-mail address
# reads left to right inside a Hebrew line and never drags its neighbours around.
LRI, PDI = "\u2066", "\u2069"


@register.filter
def ltr(value) -> SafeString:
    """``value`` escaped and isolated left to right: numbers, amounts, codes, addresses."""
    if value is None or value == "":
        return SafeString("")
    return format_html("{}{}{}", LRI, value, PDI)


# First-strong isolate: a name or an address takes the direction of its first letter and
# stays apart from what is around it (a Hebrew address in an English header, and back).
FSI = "\u2068"


@register.filter
def isolate(value) -> SafeString:
    """``value`` escaped, in the direction of its first letter, isolated from its neighbours."""
    if value is None or value == "":
        return SafeString("")
    return format_html("{}{}{}", FSI, value, PDI)


@register.filter
def text_dir(value) -> str:
    """Either "rtl" or "ltr": the direction of the first letter of ``value`` (a block of free text,
    such as terms, whose lines a paragraph direction must hold)."""
    for char in str(value or ""):
        if "\u0590" <= char <= "\u08ff" or "\ufb1d" <= char <= "\ufdff":
            return "rtl"
        if char.isalpha():
            return "ltr"
    return ""


@register.filter
def plain_number(value) -> str:
    """A quantity as people write it: ``30`` and ``2.5``, never ``3E+1`` or ``30.000``."""
    from decimal import Decimal, InvalidOperation

    from kesher.platform.ui.display import format_number

    try:
        number = Decimal(str(value)).normalize()
    except (InvalidOperation, ValueError):
        return str(value)
    return format_number(f"{number:f}")

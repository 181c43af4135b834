"""Template helpers for the generic pages: phone numbers, what the user may do, and record
pickers in forms written by hand."""

from django import template
from django.utils.html import format_html

from kesher.platform import once
from kesher.platform.access import can
from kesher.platform.fields import format_phone_national
from kesher.platform.ui import context_processors

register = template.Library()


@register.filter
def phone(value: str) -> str:
    """A stored E.164 number the way people read it (``052-555-1234``)."""
    return format_phone_national(value or "")


@register.simple_tag(takes_context=True)
def main_menus(context):
    """The navigation's menus (``nav_menus.html``), kept per role: see ``context_processors``."""
    return context_processors.main_menus(context)


@register.simple_tag
def nav_slot(name: str):
    """Where a per-user part of the kept menus goes (``register_nav_slot``)."""
    return context_processors.nav_slot_marker(name)


@register.simple_tag(takes_context=True)
def user_can(context, entity_key: str, action: str) -> bool:
    """Whether the signed-in user's role allows ``action`` on ``entity_key``, so a page shows
    only the buttons that will work for them (REQ OR-3)."""
    return can(context["request"].user, entity_key, action)


@register.simple_tag(takes_context=True)
def record_picker(context, entity_key: str, name: str, field_id: str, value="", label=None):
    """The search-as-you-type picker of ``entity_key``'s records (name, SKU, phone, e-mail)
    for a form a page writes by hand, never a <select> of every record; its label is
    ``for="<field_id>-search"``. ``label``: the chosen record's name, when the page has it
    (a grid's rows), so that it is not read once per row."""
    from kesher.platform.ui.forms import RecordPicker

    widget = RecordPicker(entity_key)
    widget.user = context["request"].user
    if value not in (None, "") and label is not None:
        widget.label = str(label)
    return widget.render(name, value, attrs={"id": field_id})


@register.filter
def decimal_input(value) -> str:
    """A decimal as an input's value: ``10`` and ``2.5`` — never ``1E+1`` (what ``normalize``
    gives for ten) nor a thousands separator the form would not read back."""
    from decimal import Decimal, InvalidOperation

    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value)).normalize()
    except (InvalidOperation, ValueError):
        return str(value)
    return f"{number:f}"


@register.simple_tag(takes_context=True)
def once_field(context):
    """A create form's one-time token (``kesher.platform.ui.once``): a form shown again after
    errors keeps the token it was sent with."""
    value = once.token(context["request"]) or once.new_token()
    return format_html('<input type="hidden" name="{}" value="{}">', once.FIELD, value)

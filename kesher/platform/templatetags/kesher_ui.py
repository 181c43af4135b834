"""Template helpers for the generic pages: readable audit changes and phone numbers."""

from django import template
from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext as _

from kesher.platform.access import can
from kesher.platform.fields import PhoneField, format_phone_national

register = template.Library()


@register.filter
def phone(value: str) -> str:
    """A stored E.164 number the way people read it (``052-555-1234``)."""
    return format_phone_national(value or "")


def _readable(value, field) -> str:
    if value is None or value == "" or value == []:
        return ""
    if value is True:
        return _("Yes")
    if value is False:
        return _("No")
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(field, PhoneField):
        return format_phone_national(str(value))
    if getattr(field, "choices", None):
        return str(dict(field.flatchoices).get(value, value))
    return str(value)


@register.simple_tag
def audit_changes(entry, model) -> list[tuple[str, str, str]]:
    """``(label, old, new)`` for each field an audit entry changed, for the record's timeline:
    the field's translated name instead of its code name, phones in national format, yes/no
    for booleans and lists joined."""
    rows = []
    for name, change in (entry.changes or {}).items():
        old, new = change if isinstance(change, list) and len(change) == 2 else (None, change)
        try:
            field = model._meta.get_field(name)
            label = str(field.verbose_name)
        except (FieldDoesNotExist, AttributeError):
            field, label = None, name
        rows.append((label, _readable(old, field), _readable(new, field)))
    return rows


@register.simple_tag(takes_context=True)
def user_can(context, entity_key: str, action: str) -> bool:
    """Whether the signed-in user's role allows ``action`` on ``entity_key``, so a page shows
    only the buttons that will work for them (REQ OR-3)."""
    return can(context["request"].user, entity_key, action)

"""The buttons of a record's page and of a list (decision 0108)."""

from django import template

from kesher.automation.buttons import buttons_for

register = template.Library()


@register.simple_tag(takes_context=True)
def record_buttons(context, entity, obj):
    """The buttons the reader may press on this record."""
    return buttons_for(context["request"].user, entity.key, record=obj)


@register.simple_tag(takes_context=True)
def list_buttons(context, entity):
    """The buttons the reader may press on the records chosen in this list."""
    return buttons_for(context["request"].user, entity.key, on_list=True)

"""Template helpers for pick-list values: the settings their list declares."""

from django import template

from kesher.platform.customfields.picklists import settings_for

register = template.Library()


@register.simple_tag
def choice_settings(choice) -> list[tuple]:
    """``(setting, value)`` for each setting the value's list declares, None when not set."""
    stored = choice.extra or {}
    return [(setting, stored.get(setting.key)) for setting in settings_for(choice.list_key)]

"""Template tags of working together: the follow button's state on a record's page."""

from django import template

from kesher.collab.selectors import is_following
from kesher.platform.registry import registry

register = template.Library()


@register.simple_tag(takes_context=True)
def follow_state(context, obj) -> bool:
    """Whether the signed-in user follows ``obj``."""
    user = context["request"].user
    return is_following(user, registry.for_model(obj), obj)

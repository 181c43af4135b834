"""The first-use hint of the module a page belongs to (REQ IMPL-2), in ``base.html``."""

from django import template

from kesher.rollout.selectors import hint_to_show

register = template.Library()


@register.inclusion_tag("rollout/hint.html", takes_context=True)
def first_use_hint(context):
    request = context.get("request")
    if request is None:
        return {"hint": None}
    return {"hint": hint_to_show(request.user, request.path, getattr(request, "session", None))}

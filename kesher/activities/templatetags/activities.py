"""Template tags of activities: the record page's panel and the unread count."""

from django import template

from kesher.activities import selectors
from kesher.platform.access import can
from kesher.platform.registry import registry

register = template.Library()


@register.simple_tag(takes_context=True)
def record_activities(context, obj):
    """Open tasks and recent interactions of ``obj`` that the signed-in user may see."""
    user = context["request"].user
    key = registry.for_model(obj).key
    tasks = selectors.record_tasks(key, obj.pk, user) if can(user, "tasks", "view") else []
    interactions = (
        selectors.record_interactions(key, obj.pk, user)
        if can(user, "interactions", "view")
        else []
    )
    return {"key": key, "tasks": tasks, "interactions": interactions}


@register.simple_tag(takes_context=True)
def unread_notifications(context) -> int:
    """The signed-in user's unread notifications: one indexed count (for the navbar bell)."""
    user = context["request"].user
    return selectors.unread_count(user) if user.is_authenticated else 0


@register.simple_tag(takes_context=True)
def record_figures(context, obj):
    """The 360° view's key figures of ``obj`` for the signed-in user."""
    from kesher.activities.overview import figures_for

    return figures_for(obj, context["request"].user)


@register.simple_tag(takes_context=True)
def record_alerts(context, obj):
    """The alerts banner of ``obj``: matching rules and unexpired manual alerts."""
    from kesher.activities.overview import alerts_for

    return alerts_for(obj, context["request"].user)


@register.filter
def alert_class(level: str) -> str:
    return {"danger": "danger", "info": "info"}.get(level, "warning")

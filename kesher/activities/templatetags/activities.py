"""Template tags of activities: the record page's panel and the unread count."""

import datetime

from django import template
from django.utils import timezone

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


@register.simple_tag(takes_context=True)
def about_record(context, obj):
    """What the page of an interaction or a task says of the record it is about: ``record``
    when the reader may see it (named and linked), else only its kind (``entity``) — never the
    name of a record outside the reader's scope. Read once per page (banner and panel)."""
    if "_about_record" not in obj.__dict__:
        entity = registry.get(obj.link_type) if obj.link_type in registry.keys() else None  # noqa: SIM118  (a list)
        record = selectors.about_record(obj, context["request"].user) if entity else None
        obj.__dict__["_about_record"] = {"entity": entity, "record": record}
    return obj.__dict__["_about_record"]


@register.simple_tag(takes_context=True)
def parent_task(context, task):
    return selectors.parent_task(task, context["request"].user)


@register.simple_tag(takes_context=True)
def subtasks(context, task):
    return selectors.subtasks(task, context["request"].user)


@register.simple_tag(takes_context=True)
def my_open_tasks(context, limit: int = 5):
    """The signed-in user's open tasks, soonest due first (the home page's card)."""
    return list(selectors.task_list(context["request"].user, "mine")[:limit])


# How far ahead the home page's meetings card looks: this week and the next.
HOME_MEETING_DAYS = 14


@register.simple_tag(takes_context=True)
def my_meetings(context, limit: int = 5):
    """The signed-in user's coming meetings (owned or invited to), soonest first, for the
    home page's card."""
    user = context["request"].user
    now = timezone.now()
    end = now + datetime.timedelta(days=HOME_MEETING_DAYS)
    return list(selectors.user_meetings(user, user, now, end)[:limit])


@register.simple_tag(takes_context=True)
def my_recent_interactions(context, limit: int = 5):
    """What the signed-in user logged or took part in lately, newest first (home page)."""
    return selectors.user_interactions(context["request"].user, before=timezone.now(), limit=limit)

"""Template tags of approvals: the menu's badge, a record's approval banner, a process's steps."""

from django import template
from django.utils.html import format_html

from kesher.approvals import selectors
from kesher.approvals.lock import entities_with_processes
from kesher.approvals.steps import describe_steps
from kesher.platform.access import can, is_admin
from kesher.platform.registry import registry

register = template.Library()


@register.simple_tag(takes_context=True)
def approvals_waiting(context) -> int:
    """How many requests wait for the signed-in user's decision (one query)."""
    return selectors.waiting_count(context["request"].user)


def waiting_badge(request) -> str:
    """The menu entry's badge: how many requests wait for the user, nothing when none do (the
    navigation's slot "approvals-count", filled on every page)."""
    waiting = selectors.waiting_count(request.user)
    if not waiting:
        return ""
    return format_html(
        ' <span class="badge rounded-pill text-bg-danger" id="approvals-count">{}</span>', waiting
    )


@register.simple_tag(takes_context=True)
def record_approval(context, obj) -> dict | None:
    """What the record's banner shows: its pending request (and whether the user may decide or
    cancel it), its last outcome, or the processes the user may start. None when no process
    applies to the entity (no query then)."""
    user = context["request"].user
    key = registry.for_model(obj).key
    if key not in entities_with_processes():
        return None
    latest = selectors.record_requests(key, obj.pk, limit=1)
    current = latest[0] if latest else None
    pending = current if current is not None and current.is_pending else None
    banner = {"key": key, "pending": pending, "last": None if pending else current}
    if pending is not None:
        banner["step"] = selectors.decidable_step(pending, user)
        banner["may_cancel"] = is_admin(user) or pending.requester_id == user.pk
        banner["waiting_steps"] = [s for s in pending.decisions.all() if s.active]
    elif can(user, key, "change"):
        banner["processes"] = list(selectors.processes_for(key))
    return banner


@register.simple_tag
def process_steps(process) -> list[str]:
    return describe_steps(process.steps or [])

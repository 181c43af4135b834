"""Template tags of projects: minutes as hours, a project's budget burn on its page and the
home page's card of the user's week."""

from django import template
from django.utils import timezone

from kesher.projects import selectors

register = template.Library()


@register.filter
def hm(minutes) -> str:
    """Minutes as h:mm; empty for none."""
    if not minutes:
        return ""
    return f"{int(minutes) // 60}:{int(minutes) % 60:02d}"


@register.simple_tag
def project_burn(project):
    return selectors.project_burn(project)


@register.simple_tag(takes_context=True)
def my_week(context):
    """The user's month balance and how many submitted hours wait for his approval."""
    user = context["request"].user
    return {
        "balance": selectors.month_balance(user, timezone.localdate()),
        "waiting": selectors.approval_count(user),
    }


@register.simple_tag(takes_context=True)
def project_value(context, project):
    """The billable value of the project's approved hours, for readers of the rate cards."""
    from kesher.platform.access import can
    from kesher.projects.billing import project_value as value_of

    if not can(context["request"].user, "rate-cards", "view"):
        return None
    return value_of(project)


@register.filter
def shekels(value) -> str:
    """An amount as ₪1,234.50."""
    from kesher.platform.ui.display import format_money

    return format_money(value)


@register.simple_tag(takes_context=True)
def my_timer(context):
    """The user's running timer, for one who reports hours (None otherwise)."""
    from kesher.platform.access import can
    from kesher.projects.services import running_timer

    user = context["request"].user
    if not can(user, "time-entries", "add"):
        return None
    return running_timer(user)


@register.simple_tag
def absence_days(row, kind) -> str:
    """A payroll row's days away of one kind (1.5), "–" for none."""
    from decimal import Decimal

    days = row.absences.get(kind.pk, Decimal(0))
    if not days:
        return "–"
    return f"{days.normalize():f}"


@register.simple_tag(takes_context=True)
def project_profit(context, project):
    """The project's own approved hours' value, invoiced amount (net of credit notes), and —
    for a reader who may see cost — cost and margin (decision 0122); None for a reader of no
    hours, or whose role the hours are hidden from."""
    from kesher.platform.access import can
    from kesher.platform.visibility import hidden_fields
    from kesher.projects.profitability import profitability

    user = context["request"].user
    if not can(user, "time-entries", "view") or "minutes" in hidden_fields("time-entries", user):
        return None
    rows = profitability(user, project=project.pk)
    return rows[0] if rows else None

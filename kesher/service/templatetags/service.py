"""Template tags of service: a ticket's SLA clocks on its page."""

from django import template

from kesher.service.selectors import ticket_clocks

register = template.Library()


@register.simple_tag
def sla_clocks(ticket):
    return ticket_clocks(ticket)


@register.filter
def hours_minutes(hours) -> str:
    """Business hours as h:mm, signed when past the target."""
    if hours is None:
        return ""
    sign = "−" if hours < 0 else ""
    minutes = round(abs(hours) * 60)
    return f"{sign}{minutes // 60}:{minutes % 60:02d}"

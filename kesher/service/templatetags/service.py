"""Template tags of service: a ticket's SLA clocks on its page, the home page's card of the
user's open tickets, an article's "did this help?" answers."""

from django import template
from django.db.models import F
from django.utils import timezone

from kesher.service.models import Ticket
from kesher.service.selectors import suggested_articles, ticket_clocks

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


@register.simple_tag(takes_context=True)
def my_open_tickets(context, limit: int = 5):
    """The open tickets the signed-in user handles, the soonest due first (REQ SV-9)."""
    user = context["request"].user
    now = timezone.now()
    rows = list(
        Ticket.objects.visible_to(user)
        .filter(handler=user, resolved_at__isnull=True)
        .select_related("status")
        .order_by(F("sla_due_at").asc(nulls_last=True), "id")[:limit]
    )
    for ticket in rows:
        ticket.breached_now = ticket.sla_due_at is not None and ticket.sla_due_at <= now
    return rows


@register.simple_tag(takes_context=True)
def ticket_articles(context, ticket):
    """The knowledge-base articles suggested for the ticket (REQ SV-8)."""
    return suggested_articles(ticket, context["request"].user)


@register.simple_tag(takes_context=True)
def wants_my_day(context) -> bool:
    """Whether the home page's tickets card offers "My day": the user has a van or visits today
    (REQ SV-12). (The service menu offers it to everyone who sees tickets: asking on every page
    cost two queries a page.)"""
    request = context["request"]
    cached = getattr(request, "_wants_my_day", None)
    if cached is None:
        from kesher.platform.access import can
        from kesher.service.fieldday import wants_day

        cached = can(request.user, "tickets", "view") and wants_day(request.user)
        request._wants_my_day = cached
    return cached


@register.simple_tag(takes_context=True)
def my_visit(context, ticket) -> bool:
    """Whether the signed-in user is the technician of ``ticket`` (its visit page is his)."""
    from kesher.service.visits import may_visit

    return may_visit(context["request"].user, ticket)


@register.simple_tag(takes_context=True)
def article_feedback(context, article):
    """An article's "did this help?" counts and the signed-in user's own answer (None: he has
    not answered)."""
    from kesher.service.models import ArticleVote
    from kesher.service.services import article_votes

    mine = (
        ArticleVote.objects.filter(article=article, user=context["request"].user)
        .values_list("helpful", flat=True)
        .first()
    )
    return {**article_votes(article), "mine": mine}


@register.simple_tag
def ticket_texts(ticket) -> list:
    """The ticket's thread of texts, either way, with each reply's delivery (its status and
    why it failed: a message in flight when a worker died says so): one query a page, kept on
    the ticket for its action buttons and its aside (decision 0124)."""
    cached = getattr(ticket, "_texts_thread", None)
    if cached is None:
        from kesher.service.models import TicketText

        cached = list(
            TicketText.objects.filter(ticket=ticket)
            .select_related("outgoing")
            .order_by("-created_at", "-pk")[:20]
        )
        ticket._texts_thread = cached
    return cached

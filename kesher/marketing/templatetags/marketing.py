"""Template tags of marketing: what a campaign brought, a send's figures on its page."""

from django import template

from kesher.marketing import calls
from kesher.marketing.selectors import campaign_bounces, campaign_results
from kesher.marketing.sending import tally
from kesher.platform.ui.display import format_money

register = template.Library()


@register.simple_tag(takes_context=True)
def results_of(context, campaign):
    return campaign_results(campaign, context["request"].user)


@register.simple_tag
def bounces_of(campaign):
    return campaign_bounces(campaign)


@register.simple_tag
def send_tally(send):
    return tally(send)


@register.filter
def shekels(value) -> str:
    return "" if value is None else format_money(value)


@register.simple_tag
def call_progress(campaign):
    """A phone campaign's progress: called, pending, skipped, by outcome and by agent."""
    figures = calls.call_progress(campaign)
    figures["agents"] = calls.progress_by_agent(campaign)
    return figures


@register.simple_tag
def call_agents():
    """Active users whose role reads campaign calls: whom a call list may be split among."""
    from kesher.org.models import User
    from kesher.platform.access import can

    users = User.objects.filter(is_active=True).order_by("first_name", "last_name", "username")
    return [u for u in users if can(u, "campaign-calls", "view")]


@register.simple_tag
def do_not_call_entries(record):
    """The do-not-call entries of a contact's or lead's numbers."""
    return calls.person_on_list(record)

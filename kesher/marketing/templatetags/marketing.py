"""Template tags of marketing: what a campaign brought, a send's figures on its page."""

from django import template

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

"""Template tags of sales: the home page's card of the rep's deals needing action, a deal's
contacts with their roles."""

from django import template
from django.db.models import F

from kesher.customers.models import Contact
from kesher.sales.models import Opportunity, OpportunityContact

register = template.Library()


@register.simple_tag(takes_context=True)
def my_deals_needing_action(context, limit: int = 5):
    """The signed-in user's open deals: by the deal's priority, then its customer's rating (A
    first, as their pick-lists order them; REQ TK-8), then the stuck (or soonest to be) first
    (SA-3)."""
    user = context["request"].user
    return list(
        Opportunity.objects.visible_to(user)
        .open()
        .filter(owner=user)
        .select_related("stage", "priority")
        .order_by(
            F("priority__order").asc(nulls_last=True),
            F("account__rating__order").asc(nulls_last=True),
            F("stuck_at").asc(nulls_last=True),
            "stage_entered_at",
            "id",
        )[:limit]
    )


@register.simple_tag(takes_context=True)
def deal_contacts(context, deal):
    """The deal's contacts with their roles, only those the reader may see (REQ OR-3)."""
    user = context["request"].user
    return list(
        OpportunityContact.objects.filter(
            opportunity=deal, contact__in=Contact.objects.visible_to(user)
        )
        .select_related("contact")
        .order_by("contact__last_name", "contact__first_name", "pk")
    )

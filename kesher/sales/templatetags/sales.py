"""Template tags of sales: the home page's cards of the rep's deals needing action and of the
targets' attainment, a target's attainment on its page, a deal's contacts with their roles."""

from django import template
from django.db.models import F

from kesher.customers.models import Contact
from kesher.sales.models import Opportunity, OpportunityContact
from kesher.sales.selectors import attainment, current_targets, money

register = template.Library()


@register.simple_tag(takes_context=True)
def my_deals_needing_action(context, limit: int = 5):
    """The signed-in user's open deals, the stuck (or soonest to be) first (REQ SA-3)."""
    user = context["request"].user
    return list(
        Opportunity.objects.visible_to(user)
        .open()
        .filter(owner=user)
        .select_related("stage")
        .order_by(F("stuck_at").asc(nulls_last=True), "stage_entered_at", "id")[:limit]
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


@register.simple_tag(takes_context=True)
def targets_attainment(context, limit: int = 6):
    """The current periods' targets the user may see, with their actuals: a rep's own, a
    manager's team's (REQ SA-7, SA-14)."""
    return attainment(current_targets(context["request"].user)[:limit])


@register.simple_tag
def target_attainment(target):
    """One target's actual (its page is shown only to whom may see the target)."""
    (row,) = attainment([target])
    row.amount_text = money(target.amount) if target.amount is not None else ""
    row.actual_amount_text = money(row.actual_amount)
    return row

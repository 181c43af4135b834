"""Template tags of sales: the home page's card of the rep's deals needing action, a deal's
contacts with their roles, booking a meeting for the deal's owner."""

from urllib.parse import urlencode

from django import template
from django.db.models import F
from django.urls import reverse

from kesher.customers.models import Contact
from kesher.platform.access import can
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


@register.simple_tag(takes_context=True)
def meeting_booking(context, deal):
    """The back office's "book a meeting for …" on a deal (REQ SA-13): the calendar's new
    meeting for the deal's owner, about the deal — when the reader may book meetings and open
    the owner's calendar; else None. The owner's phone gets it through his calendar feed."""
    from kesher.activities import meetings
    from kesher.activities.selectors import calendar_people

    user = context["request"].user
    owner_id = deal.owner_id
    if not owner_id or not can(user, "interactions", "add") or meetings.meeting_kind() is None:
        return None
    owner = calendar_people(user).filter(pk=owner_id).first()
    if owner is None:
        return None
    query = urlencode({"user": owner.pk, "link_type": "opportunities", "link_id": deal.pk})
    return {"owner": owner, "url": f"{reverse('activities_meeting_new')}?{query}"}

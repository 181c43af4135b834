"""Template tags of sales: the home page's cards of the rep's deals needing action and of the
targets' attainment, a target's attainment on its page, a deal's contacts with their roles,
booking a meeting for the deal's owner, the board's move menu."""

from urllib.parse import urlencode

from django import template
from django.db.models import F
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from kesher.customers.models import Contact
from kesher.platform.access import can
from kesher.sales.models import Opportunity, OpportunityContact
from kesher.sales.selectors import attainment, current_targets, money

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


@register.simple_tag(takes_context=True)
def stage_options(context, board, column):
    """The options of a card's "move to" menu: every column's stage, the card's own selected.
    The same for every card of a column, so made once per column and render (a board shows
    up to 25 cards a column: the menu was most of the page's time)."""
    made = context.render_context.setdefault("sales_stage_options", {})
    key = (id(board), column.stage.pk)
    if key not in made:
        made[key] = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (
                    other.stage.pk,
                    mark_safe(" selected") if other.stage.pk == column.stage.pk else "",
                    other.stage,
                )
                for other in board.columns
            ),
        )
    return made[key]

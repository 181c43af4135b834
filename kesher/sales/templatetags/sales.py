"""Template tags of sales: the home page's card of the rep's deals needing action, a deal's
contacts with their roles, the board's move menu."""

from django import template
from django.db.models import F
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from kesher.customers.models import Contact
from kesher.sales.models import Opportunity, OpportunityContact

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

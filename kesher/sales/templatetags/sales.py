"""Template tags of sales: the home page's cards of the rep's deals needing action and of the
targets' attainment, a target's attainment on its page, a deal's contacts with their roles,
booking a meeting for the deal's owner, the board's move menu."""

from html import escape
from urllib.parse import urlencode

from django import template
from django.db.models import F
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

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


def stage_options(context, board, column) -> str:
    """The options of a card's "move to" menu: every column's stage, the card's own selected;
    the same for every card of a column, so made once per column, from the stages' names put
    into words once per board (a stage's name is looked up in the reader's language)."""
    labels = context.render_context.setdefault("sales_board_stages", {})
    if id(board) not in labels:
        labels[id(board)] = [(c.stage.pk, escape(str(c.stage))) for c in board.columns]
    own = column.stage.pk
    return "".join(
        f'<option value="{pk}"{" selected" if pk == own else ""}>{label}</option>'
        for pk, label in labels[id(board)]
    )


# A board card's markup. It is here, not in board.html, because a page shows up to 200 cards
# and the template language's 25 lookups and tags a card were most of the page's time
# (bench/sales.py, decision 0082). Every text is escaped by ``escape`` (Django's own escape is
# ``html.escape`` too; called directly, without its lazy-text wrapper, for 25 values a card).
_CARD = (
    '<li class="card board-card board-card-{state} mb-2" id="deal-{pk}" data-deal="{pk}"'
    '{draggable}><div class="card-body p-2">'
    '<a class="fw-semibold text-decoration-none" href="{url}"><bdi>{name}</bdi></a>{account}'
    '<div class="small d-flex flex-wrap gap-2 text-body-secondary">'
    "{amount}{owner}<span>{days}</span>{stuck}</div>{form}</div></li>"
)
_MOVE_FORM = (
    '<form class="board-move d-flex gap-1 mt-1" method="post" action="{url}" hx-post="{url}{query}"'
    ' hx-target="#board" hx-swap="outerHTML">'
    '<input type="hidden" name="csrfmiddlewaretoken" value="{csrf}">'
    '<input type="hidden" name="version" value="{version}">'
    '<label class="visually-hidden" for="move-{pk}">{label}</label>'
    '<select class="form-select form-select-sm" name="stage" id="move-{pk}">{options}</select>'
    '<button class="btn btn-sm btn-outline-secondary">{button}</button></form>'
)
# An id no deal has: each card's links are the ones reversed once, with its id put in.
_ANY_ID = 987654321


@register.simple_tag(takes_context=True)
def board_cards(context, board, column):
    """The cards of one column of the board (REQ SA-2, SA-3): each deal's name linking to it,
    its customer and amount when the reader may see them, its owner, its days in the stage
    and its colour; with the right to move, its "move to" form (the drag sends it too)."""
    can_move = context.get("can_move")
    marker = str(_ANY_ID)
    detail = escape(reverse("entity_detail", args=["opportunities", _ANY_ID]))
    move = escape(reverse("sales_board_move", args=[_ANY_ID]))
    query = context.get("query")
    query = escape(f"?{query}") if query else ""
    csrf = escape(str(context.get("csrf_token", "")))
    options = stage_options(context, board, column) if can_move else ""
    stuck = f'<span class="badge text-bg-danger">{escape(_("Stuck"))}</span>'
    label, button = escape(_("Move to")), escape(_("Move"))
    draggable = ' draggable="true"' if can_move else ""
    # Shared by the board's columns: "12 days in the stage" put into words once a page.
    days_text: dict[int, str] = context.render_context.setdefault("board_days_text", {})
    owners: dict[int, str] = {}
    cards = []
    for card in column.cards:
        deal = card.deal
        pk = str(int(deal.pk))
        days = card.days_in_stage
        if days not in days_text:
            days_text[days] = escape(
                ngettext("%(days)s day in the stage", "%(days)s days in the stage", days)
                % {"days": days}
            )
        owner = ""
        if deal.owner_id:
            if deal.owner_id not in owners:
                owners[deal.owner_id] = f"<span>{escape(deal.owner_name)}</span>"
            owner = owners[deal.owner_id]
        form = ""
        if can_move:
            form = _MOVE_FORM.format(
                url=move.replace(marker, pk),
                query=query,
                csrf=csrf,
                version=int(deal.version),
                pk=pk,
                label=label,
                options=options,
                button=button,
            )
        account, amount = card.account_name, card.amount
        cards.append(
            _CARD.format(
                state=escape(card.state),
                pk=pk,
                draggable=draggable,
                url=detail.replace(marker, pk),
                name=escape(deal.name),
                account=f'<div class="small"><bdi>{escape(account)}</bdi></div>' if account else "",
                amount=f'<bdi class="text-body">{escape(amount)}</bdi>' if amount else "",
                owner=owner,
                days=days_text[days],
                stuck=stuck if card.state == "stuck" else "",
                form=form,
            )
        )
    # Every value in them was escaped above.
    return mark_safe("".join(cards))

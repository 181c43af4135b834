"""Sales' reads, scoped by ``visible_to(user)``: the pipeline board (REQ SA-2, SA-3)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, F, Sum, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from kesher.customers.models import Account
from kesher.platform.lists.filterlang import apply_filter
from kesher.platform.models import SavedView
from kesher.platform.registry import registry
from kesher.platform.ui.display import format_money, format_number
from kesher.platform.visibility import hidden_fields
from kesher.sales.models import Opportunity, Pipeline, Stage

__all__ = ["Board", "BoardCard", "BoardColumn", "board", "board_views", "money"]

CARDS_PER_COLUMN = 25
# A card turns amber when this share of its stage's standard duration has passed.
WARNING_SHARE = 0.7


def money(amount: Decimal | None, currency: str = "ILS") -> str:
    """An amount as users read it: shekels with ₪, other currencies with their code."""
    if amount is None:
        return ""
    if currency == "ILS":
        return format_money(amount)
    return f"{format_number(amount, 2)} {currency}"


@dataclass
class BoardCard:
    deal: Opportunity
    account_name: str  # empty when the reader may not see the account
    amount: str
    days_in_stage: int
    state: str  # "stuck", "warning" or "ok": the card's colour (time in stage)


@dataclass
class BoardColumn:
    stage: Stage
    count: int = 0
    total: str = ""
    cards: list[BoardCard] = field(default_factory=list)

    @property
    def more(self) -> int:
        return self.count - len(self.cards)


@dataclass
class Board:
    pipeline: Pipeline
    columns: list[BoardColumn]
    show_amounts: bool


def board_views(user):
    """The saved views of deals the user may apply to the board (his and the shared ones)."""
    return SavedView.objects.for_user(user).filter(entity="opportunities").order_by("name")


def _state(deal: Opportunity, now) -> str:
    if deal.stuck_at is None:
        return "ok"
    if deal.stuck_at <= now:
        return "stuck"
    standard = (deal.stuck_at - deal.stage_entered_at).total_seconds()
    spent = (now - deal.stage_entered_at).total_seconds()
    return "warning" if standard > 0 and spent / standard >= WARNING_SHARE else "ok"


def board(
    user,
    pipeline: Pipeline,
    *,
    view: SavedView | None = None,
    owner_id: int | None = None,
    stuck_only: bool = False,
) -> Board:
    """The columns of ``pipeline``'s board for ``user``: each stage with its count and sum and
    its first cards (the longest in the stage first), in a fixed number of queries whatever
    the number of deals (REQ SA-2, SA-3)."""
    entity = registry.get("opportunities")
    now = timezone.now()
    stages = list(pipeline.stages.filter(active=True).order_by("order", "pk"))
    deals = Opportunity.objects.visible_to(user).filter(stage__in=stages)
    if view is not None:
        deals = apply_filter(deals, entity, view.filter, user)
    if owner_id:
        deals = deals.filter(owner_id=owner_id)
    if stuck_only:
        deals = deals.filter(stuck_at__lte=now)
    show_amounts = "amount" not in hidden_fields(entity, user)
    figures = {
        row["stage"]: row
        for row in deals.order_by().values("stage").annotate(n=Count("id"), total=Sum("amount"))
    }
    ranked = (
        deals.annotate(
            place=Window(
                RowNumber(),
                partition_by=[F("stage_id")],
                order_by=[F("stage_entered_at").asc(), F("id").asc()],
            )
        )
        .filter(place__lte=CARDS_PER_COLUMN)
        .select_related("owner")
        .order_by("stage_entered_at", "id")
    )
    cards = list(ranked)
    account_ids = {d.account_id for d in cards if d.account_id}
    # Only the accounts the reader may see are named on his cards (REQ OR-3).
    names = dict(
        Account.objects.visible_to(user).filter(pk__in=account_ids).values_list("pk", "name")
        if account_ids
        else []
    )
    zero = money(Decimal(0)) if show_amounts else ""
    columns = {stage.pk: BoardColumn(stage=stage, total=zero) for stage in stages}
    for stage_id, row in figures.items():
        column = columns[stage_id]
        column.count = row["n"]
        column.total = money(row["total"] or Decimal(0)) if show_amounts else ""
    for deal in cards:
        deal.stage = columns[deal.stage_id].stage  # the stage read above: no query per card
        columns[deal.stage_id].cards.append(
            BoardCard(
                deal=deal,
                account_name=names.get(deal.account_id, ""),
                amount=money(deal.amount, deal.currency) if show_amounts else "",
                days_in_stage=(now - deal.stage_entered_at).days,
                state=_state(deal, now),
            )
        )
    return Board(pipeline=pipeline, columns=list(columns.values()), show_amounts=show_amounts)

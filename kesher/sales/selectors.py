"""Sales' reads, scoped by ``visible_to(user)``: the pipeline board (REQ SA-2, SA-3)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, Sum
from django.db.models.expressions import RawSQL
from django.utils import timezone

from kesher.customers.models import Account
from kesher.platform.lists.filterlang import apply_filter
from kesher.platform.models import SavedView
from kesher.platform.registry import registry
from kesher.platform.ui.display import format_money, format_number
from kesher.platform.visibility import hidden_fields
from kesher.sales.models import Opportunity, Pipeline, Stage

__all__ = [
    "Board",
    "BoardCard",
    "BoardColumn",
    "Forecast",
    "ForecastRow",
    "board",
    "board_views",
    "forecast",
    "money",
    "parse_quarter",
    "quarter_bounds",
]

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
    # Each column's first cards by its own index range (stage, time in the stage, id), all
    # columns in one query: "id IN (the first 25 of stage 1 UNION ALL … of stage 2 …)". Not
    # "id IN (…) OR id IN (…)": PostgreSQL answers that OR by reading and sorting every deal
    # of the table (bench/sales.py: 200 ms over 100,000 deals).
    columns, params = [], []
    for number, stage in enumerate(stages):
        column = deals.filter(stage=stage).order_by("stage_entered_at", "id").values("pk")
        sql, column_params = column[:CARDS_PER_COLUMN].query.sql_with_params()
        columns.append(f"SELECT * FROM ({sql}) column_{number}")  # noqa: S608 (Django's SQL)
        params.extend(column_params)
    # Django's own SQL of querysets, with their parameters kept apart.
    first_cards = RawSQL(" UNION ALL ".join(columns), params) if columns else []  # noqa: S611
    ranked = (
        Opportunity.objects.filter(pk__in=first_cards)
        .select_related("owner")
        # What a card shows and is coloured by: a board's 200 cards read, and SQLite's dates
        # parsed, nothing more (the owner's name as ``User.__str__`` makes it).
        .only(
            *("name", "account", "amount", "currency", "stage", "stage_entered_at", "stuck_at"),
            *("version", "owner__first_name", "owner__last_name", "owner__username"),
        )
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


# --- the forecast (issue 15 item 5) -------------------------------------------------------------


@dataclass
class ForecastRow:
    owner_id: int | None
    owner_name: str
    open_count: int
    open_amount: Decimal
    weighted_amount: Decimal
    won_amount: Decimal


@dataclass
class Forecast:
    year: int
    quarter: int
    start: datetime.date
    end: datetime.date  # exclusive
    rows: list[ForecastRow]
    totals: ForecastRow
    show_amounts: bool

    @property
    def label(self) -> str:
        return f"{self.year}-Q{self.quarter}"


def quarter_bounds(year: int, quarter: int) -> tuple[datetime.date, datetime.date]:
    start = datetime.date(year, 3 * (quarter - 1) + 1, 1)
    end = datetime.date(year + (quarter == 4), 1 if quarter == 4 else start.month + 3, 1)
    return start, end


def parse_quarter(text: str | None) -> tuple[int, int]:
    """``2026-Q4`` → (2026, 4); anything else: the current quarter."""
    today = timezone.localdate()
    current = (today.year, (today.month - 1) // 3 + 1)
    if not text:
        return current
    year, _sep, quarter = text.upper().partition("-Q")
    if year.isdigit() and quarter in ("1", "2", "3", "4") and 2000 <= int(year) <= 2100:
        return int(year), int(quarter)
    return current


def forecast(user, year: int, quarter: int) -> Forecast:
    """Deals expected to close in the quarter, by owner: the open ones' count, amount and
    weighted amount (amount × the stage's probability), and the won amount — won and open as
    decision 0057 defines them — in one grouped query, scoped to the reader (REQ SA-7)."""
    start, end = quarter_bounds(year, quarter)
    open_deals = Q(stage__outcome=Stage.Outcome.OPEN)
    weighted = ExpressionWrapper(
        F("amount") * F("stage__probability") / 100,
        output_field=DecimalField(max_digits=20, decimal_places=2),
    )
    rows = list(
        Opportunity.objects.visible_to(user)
        .filter(expected_close_date__gte=start, expected_close_date__lt=end)
        .order_by()
        .values("owner_id")
        .annotate(
            open_count=Count("id", filter=open_deals),
            open_amount=Sum("amount", filter=open_deals),
            weighted_amount=Sum(weighted, filter=open_deals),
            won_amount=Sum("amount", filter=Q(stage__outcome=Stage.Outcome.WON)),
        )
    )
    owners = get_user_model().objects.in_bulk([r["owner_id"] for r in rows if r["owner_id"]])
    zero = Decimal("0.00")
    result = [
        ForecastRow(
            owner_id=r["owner_id"],
            owner_name=str(owners.get(r["owner_id"], "")) if r["owner_id"] else "",
            open_count=r["open_count"],
            open_amount=(r["open_amount"] or zero).quantize(zero),
            weighted_amount=(r["weighted_amount"] or zero).quantize(zero),
            won_amount=(r["won_amount"] or zero).quantize(zero),
        )
        for r in rows
    ]
    result.sort(key=lambda r: (-r.weighted_amount, r.owner_name))
    totals = ForecastRow(
        owner_id=None,
        owner_name="",
        open_count=sum(r.open_count for r in result),
        open_amount=sum((r.open_amount for r in result), zero),
        weighted_amount=sum((r.weighted_amount for r in result), zero),
        won_amount=sum((r.won_amount for r in result), zero),
    )
    show = "amount" not in hidden_fields(registry.get("opportunities"), user)
    return Forecast(year, quarter, start, end, result, totals, show)

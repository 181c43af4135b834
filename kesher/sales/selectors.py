"""Sales' reads, scoped by ``visible_to(user)``: the pipeline board (REQ SA-2, SA-3)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Case, Count, DecimalField, ExpressionWrapper, F, Q, Sum, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import TruncMonth
from django.utils import timezone

from kesher.customers.models import Account
from kesher.org.models import Department, Region
from kesher.platform.lists.filterlang import apply_filter
from kesher.platform.models import SavedView
from kesher.platform.registry import registry
from kesher.platform.ui.display import format_money, format_number
from kesher.platform.visibility import hidden_fields
from kesher.sales.models import (
    ForecastCategory,
    Opportunity,
    Pipeline,
    SalesSettings,
    SalesTarget,
    Stage,
    period_start,
)

__all__ = [
    "FORECAST_GROUPS",
    "Attainment",
    "Board",
    "BoardCard",
    "BoardColumn",
    "BoardDeal",
    "Forecast",
    "ForecastRow",
    "attainment",
    "board",
    "board_views",
    "current_targets",
    "forecast",
    "money",
    "month_bounds",
    "parse_period",
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
class BoardDeal:
    """What a card shows of its deal, read as plain values: a board is 200 cards, and a model
    instance for each deal and its owner was a fifth of the selector's time (bench/sales.py)."""

    pk: int
    name: str
    version: int
    owner_id: int | None
    owner_name: str  # as ``User.__str__`` names him; empty without an owner


@dataclass
class BoardCard:
    deal: BoardDeal
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


def _state(stuck_at, entered_at, now) -> str:
    if stuck_at is None:
        return "ok"
    if stuck_at <= now:
        return "stuck"
    standard = (stuck_at - entered_at).total_seconds()
    spent = (now - entered_at).total_seconds()
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
    # One column's SQL, made once with a stand-in for its stage (Django builds a query in about
    # as long as SQLite runs this one); each column puts its stage in.
    its_stage = object()
    column = (
        deals.filter(stage_id=RawSQL("%s", [its_stage]))
        .order_by("stage_entered_at", "id")
        .values("pk")
    )
    sql, column_params = column[:CARDS_PER_COLUMN].query.sql_with_params()
    columns, params = [], []
    for number, stage in enumerate(stages):
        columns.append(f"SELECT * FROM ({sql}) column_{number}")  # noqa: S608 (Django's SQL)
        params.extend(stage.pk if p is its_stage else p for p in column_params)
    # Django's own SQL of querysets, with their parameters kept apart.
    first_cards = RawSQL(" UNION ALL ".join(columns), params) if columns else []  # noqa: S611
    rows = list(
        Opportunity.objects.filter(pk__in=first_cards)
        .order_by("stage_entered_at", "id")
        .values_list(
            *("pk", "name", "version", "account_id", "amount", "currency", "stage_id"),
            *("stage_entered_at", "stuck_at", "owner_id"),
            *("owner__first_name", "owner__last_name", "owner__username"),
        )
    )
    account_ids = {row[3] for row in rows if row[3]}
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
    user_model, owners = get_user_model(), {}
    for row in rows:
        pk, name, version, account_id, amount, currency, stage_id = row[:7]
        entered, stuck_at, owner_id, first_name, last_name, username = row[7:]
        if owner_id and owner_id not in owners:
            # Named as everywhere else (``User.__str__``), once per owner.
            owner = user_model(first_name=first_name, last_name=last_name, username=username)
            owners[owner_id] = str(owner)
        columns[stage_id].cards.append(
            BoardCard(
                deal=BoardDeal(pk, name, version, owner_id, owners.get(owner_id, "")),
                account_name=names.get(account_id, ""),
                amount=money(amount, currency) if show_amounts else "",
                days_in_stage=(now - entered).days,
                state=_state(stuck_at, entered, now),
            )
        )
    return Board(pipeline=pipeline, columns=list(columns.values()), show_amounts=show_amounts)


# --- the forecast (issue 15 item 5) -------------------------------------------------------------


@dataclass
class ForecastRow:
    key: int | None  # the owner's, department's or region's id; None: without one
    name: str
    open_count: int
    open_amount: Decimal
    weighted_amount: Decimal
    commit_amount: Decimal
    best_case_amount: Decimal
    won_amount: Decimal


# What the forecast is grouped by: the deal's path to it.
FORECAST_GROUPS = {
    "owner": "owner_id",
    "department": "owner__department_id",
    "region": "account__region_id",
}


@dataclass
class Forecast:
    year: int
    quarter: int
    month: int | None  # a month of the quarter, or None for the whole quarter
    by: str  # a key of FORECAST_GROUPS
    start: datetime.date
    end: datetime.date  # exclusive
    rows: list[ForecastRow]
    totals: ForecastRow
    show_amounts: bool

    @property
    def label(self) -> str:
        if self.month:
            return f"{self.year}-{self.month:02d}"
        return f"{self.year}-Q{self.quarter}"


def quarter_bounds(year: int, quarter: int) -> tuple[datetime.date, datetime.date]:
    start = datetime.date(year, 3 * (quarter - 1) + 1, 1)
    end = datetime.date(year + (quarter == 4), 1 if quarter == 4 else start.month + 3, 1)
    return start, end


def month_bounds(year: int, month: int) -> tuple[datetime.date, datetime.date]:
    start = datetime.date(year, month, 1)
    return start, datetime.date(year + (month == 12), 1 if month == 12 else month + 1, 1)


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


def parse_period(text: str | None) -> tuple[int, int, int | None]:
    """``2026-Q4`` → (2026, 4, None), a month ``2026-11`` → (2026, 4, 11); anything else: the
    current quarter."""
    year, _sep, month = (text or "").partition("-")
    if year.isdigit() and month.isdigit() and 2000 <= int(year) <= 2100 and 1 <= int(month) <= 12:
        return int(year), (int(month) - 1) // 3 + 1, int(month)
    return (*parse_quarter(text), None)


def _group_names(by: str, keys) -> dict:
    model = {"owner": get_user_model(), "department": Department, "region": Region}[by]
    return {pk: str(obj) for pk, obj in model.objects.in_bulk([k for k in keys if k]).items()}


def forecast(
    user, year: int, quarter: int, *, month: int | None = None, by: str = "owner"
) -> Forecast:
    """Deals expected to close in the quarter (or one ``month``), by owner, team (the owner's
    department) or region (the customer's): the open ones' count, amount and weighted amount
    (amount × the stage's probability), what their owners commit and see as best case (commit
    included), and the won amount — won and open as decision 0057 defines them; deals the owner
    omitted count only where won. One grouped query, scoped to the reader (REQ SA-7)."""
    start, end = month_bounds(year, month) if month else quarter_bounds(year, quarter)
    group = FORECAST_GROUPS[by]
    open_deals = Q(stage__outcome=Stage.Outcome.OPEN) & ~Q(
        forecast_category=ForecastCategory.OMITTED
    )
    weighted = ExpressionWrapper(
        F("amount") * F("stage__probability") / 100,
        output_field=DecimalField(max_digits=20, decimal_places=2),
    )
    commit = Q(forecast_category=ForecastCategory.COMMIT)
    best_case = Q(forecast_category__in=[ForecastCategory.COMMIT, ForecastCategory.BEST_CASE])
    rows = list(
        Opportunity.objects.visible_to(user)
        .filter(expected_close_date__gte=start, expected_close_date__lt=end)
        .order_by()
        .values(group)
        .annotate(
            open_count=Count("id", filter=open_deals),
            open_amount=Sum("amount", filter=open_deals),
            weighted_amount=Sum(weighted, filter=open_deals),
            commit_amount=Sum("amount", filter=open_deals & commit),
            best_case_amount=Sum("amount", filter=open_deals & best_case),
            won_amount=Sum("amount", filter=Q(stage__outcome=Stage.Outcome.WON)),
        )
    )
    names = _group_names(by, [r[group] for r in rows])
    zero = Decimal("0.00")
    figures = (
        "open_amount",
        "weighted_amount",
        "commit_amount",
        "best_case_amount",
        "won_amount",
    )
    result = [
        ForecastRow(
            key=r[group],
            name=names.get(r[group], ""),
            open_count=r["open_count"],
            **{name: (r[name] or zero).quantize(zero) for name in figures},
        )
        for r in rows
    ]
    result.sort(key=lambda r: (-r.weighted_amount, r.name))
    totals = ForecastRow(
        key=None,
        name="",
        open_count=sum(r.open_count for r in result),
        **{name: sum((getattr(r, name) for r in result), zero) for name in figures},
    )
    show = "amount" not in hidden_fields(registry.get("opportunities"), user)
    return Forecast(year, quarter, month, by, start, end, result, totals, show)


# --- targets against actuals (REQ SA-7, RE-2, SA-14) ---------------------------------------------


@dataclass
class Attainment:
    target: SalesTarget
    actual_amount: Decimal
    actual_count: int

    @staticmethod
    def _share(actual, target) -> int | None:
        return None if not target else int(actual * 100 / target)

    @property
    def amount_percent(self) -> int | None:
        return self._share(self.actual_amount, self.target.amount)

    @property
    def count_percent(self) -> int | None:
        return self._share(self.actual_count, self.target.count)


def _whole(number):
    """A count as it reads: 4, not 4.000 (a quantity sold may have decimals: 2.5 m)."""
    return int(number) if number == int(number) else number.normalize()


def _won_rows(start, end) -> list[dict]:
    """Won deals by owner, customer's region and month (one grouped query)."""
    return list(
        Opportunity.objects.won()
        .filter(expected_close_date__gte=start, expected_close_date__lt=end)
        .order_by()
        .values("owner_id", "account__region_id", month=TruncMonth("expected_close_date"))
        .annotate(amount=Sum("amount"), n=Count("id"))
    )


def _sold_rows(start, end) -> list[dict]:
    """What confirmed orders sold, by owner, customer's region, month and product group: the
    lines' amount before VAT in shekels (at each order's rate) and quantity (issue 16 item 6).
    The orders live in the quotes app, which depends on this one: imported here."""
    from kesher.quotes.models import Order, OrderLine

    return list(
        OrderLine.objects.filter(
            order__status=Order.Status.CONFIRMED,
            order__doc_date__gte=start,
            order__doc_date__lt=end,
            optional=False,
            product__group__isnull=False,
        )
        .order_by()
        .values(
            owner_id=F("order__owner_id"),
            account__region_id=F("order__account__region_id"),
            group_path=F("product__group__path"),
            month=TruncMonth("order__doc_date"),
        )
        .annotate(amount=Sum(F("net") * F("order__exchange_rate")), n=Sum("quantity"))
    )


def _invoiced_rows(start, end, *, by_group: bool) -> list[dict]:
    """What was invoiced, by owner, customer's region and month (and, ``by_group``, product
    group): the lines of the tax invoices and invoice-receipts issued (or issued and since
    cancelled by a credit note) dated in the period, less the lines of the credit notes dated in
    it — before VAT in shekels (at each document's rate), quantity with ``by_group``, else the
    number of invoices (issue 15 item 6, issue 17). Billing depends on this app: imported
    here."""
    from kesher.billing.models import INVOICES, DocumentKind, InvoiceLine, TaxDocument

    credit = Q(document__kind=DocumentKind.CREDIT_NOTE)

    def net_of_credits(value):
        return Case(When(credit, then=-value), default=value)

    lines = InvoiceLine.objects.filter(
        document__kind__in=[*INVOICES, DocumentKind.CREDIT_NOTE],
        document__status__in=[TaxDocument.Status.ISSUED, TaxDocument.Status.CANCELLED],
        document__doc_date__gte=start,
        document__doc_date__lt=end,
    )
    group = {}
    count = Count("document_id", distinct=True, filter=~credit)
    if by_group:
        lines = lines.filter(product__group__isnull=False)
        group = {"group_path": F("product__group__path")}
        count = Sum(net_of_credits(F("quantity")))
    return list(
        lines.order_by()
        .values(
            owner_id=F("document__owner_id"),
            account__region_id=F("document__account__region_id"),
            month=TruncMonth("document__doc_date"),
            **group,
        )
        .annotate(amount=Sum(net_of_credits(F("net_ils"))), n=count)
    )


def attainment(targets) -> list[Attainment]:
    """Each target with its actual, live: the won deals (decision 0057) whose close date falls in
    its period — a person's own, a department's people's (its subtree), a region's customers',
    or all; a product group's target, what confirmed orders dated in the period sold of the
    group and its sub-groups (amount before VAT; quantity as its count). When the sales
    settings say so, what was invoiced in the period instead (issued tax invoices less credit
    notes, ``_invoiced_rows``), at the same levels and by the same groups. One grouped query for
    any number of targets (by owner, customer's region and month; with product groups, one
    more over the lines), then sums per target; the owners' departments in one more."""
    targets = list(targets)
    if not targets:
        return []
    start = min(t.starts_on for t in targets)
    end = max(t.ends_on for t in targets)
    invoices = SalesSettings.current().target_actuals == SalesSettings.Actuals.INVOICES
    rows, sold = [], []
    if any(not t.product_group_id for t in targets):
        rows = _invoiced_rows(start, end, by_group=False) if invoices else _won_rows(start, end)
    if any(t.product_group_id for t in targets):
        sold = _invoiced_rows(start, end, by_group=True) if invoices else _sold_rows(start, end)
    owner_paths = dict(
        get_user_model()
        .objects.filter(pk__in={r["owner_id"] for r in rows + sold if r["owner_id"]})
        .values_list("pk", "department__path")
    )
    department_paths = dict(
        Department.objects.filter(
            pk__in={t.department_id for t in targets if t.department_id}
        ).values_list("pk", "path")
    )

    def counts(target: SalesTarget, row) -> bool:
        month = row["month"]
        month = month.date() if isinstance(month, datetime.datetime) else month
        if not target.starts_on <= month < target.ends_on:
            return False
        if target.product_group_id and f"/{target.product_group_id}/" not in row["group_path"]:
            return False
        if target.level == SalesTarget.Level.PERSON:
            return row["owner_id"] == target.user_id
        if target.level == SalesTarget.Level.DEPARTMENT:
            path = owner_paths.get(row["owner_id"]) or ""
            return path.startswith(department_paths.get(target.department_id, "-"))
        if target.level == SalesTarget.Level.REGION:
            return row["account__region_id"] == target.region_id
        return True

    result = []
    for target in targets:
        source = sold if target.product_group_id else rows
        matched = [row for row in source if counts(target, row)]
        amount = sum((r["amount"] or Decimal(0) for r in matched), Decimal("0.00"))
        result.append(
            Attainment(
                target=target,
                actual_amount=amount.quantize(Decimal("0.01")),
                actual_count=_whole(sum((r["n"] or 0 for r in matched), 0)),
            )
        )
    return result


def current_targets(user, day: datetime.date | None = None):
    """The targets ``user`` may see whose period holds ``day`` (today): his own as a rep, his
    department's as a manager (their scope)."""
    day = day or timezone.localdate()
    holding = Q(pk__in=[])
    for period in SalesTarget.Period.values:
        holding |= Q(period=period, starts_on=period_start(period, day))
    return (
        SalesTarget.objects.visible_to(user)
        .filter(holding)
        .select_related("user", "department", "region")
        .order_by("starts_on", "level", "id")
    )

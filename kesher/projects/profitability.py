"""The profitability of projects (issue 20 item 5; decision 0116): what a project's approved
hours are worth to the customer — at the rate cards, and as invoiced — set against what they
cost, each person's hour at his cost rate in force on the day.

Read in six queries whatever the number of projects and hours: the approved hours the reader
sees (with their invoice lines' amounts), what credit notes credited of those lines, the
projects' team roles, the rate cards, the cost rates and nothing per row. "Invoiced" is net of
the credit notes (decision 0122). Each entry is valued and costed on its own, rounded to agorot half
up (``billing.entry_value``), so a project's figures are sums of its entries' and add up with
the invoices made of them.

The cost is shown only to whoever may read the cost rates and is not kept from their cost by a
field rule (``cost_visible``); the hours only to whoever sees time entries' minutes.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q

from kesher.platform.access import can
from kesher.platform.visibility import hidden_fields
from kesher.projects.billing import Card, entry_value, rate_for
from kesher.projects.models import CostRate, ProjectMember, RateCard, TimeEntry

__all__ = ["ProjectProfit", "cost_visible", "profitability"]

ZERO = Decimal("0.00")


def cost_visible(user) -> bool:
    """Whether the user may see what hours cost: he reads the cost rates and no field rule
    hides their hourly cost from his role."""
    return can(user, "cost-rates", "view") and "hourly_cost" not in hidden_fields(
        "cost-rates", user
    )


@dataclass
class ProjectProfit:
    project_id: int
    name: str
    account: str
    minutes: int = 0  # approved (and billed) minutes
    billable_minutes: int = 0
    value: Decimal = ZERO  # billable minutes at the rate cards
    invoiced: Decimal = ZERO  # the billed minutes' invoice lines before VAT, less credits (₪)
    credited: Decimal = ZERO  # what credit notes took off those lines, before VAT (₪)
    cost: Decimal | None = ZERO  # None: hidden from the reader
    unpriced_minutes: int = 0  # billable minutes no rate card prices
    uncosted_minutes: int = 0  # minutes no cost rate costs

    @property
    def margin(self) -> Decimal | None:
        if self.cost is None:
            return None
        return self.value - self.cost

    @property
    def margin_percent(self) -> int | None:
        if self.cost is None or not self.value:
            return None
        return int((self.value - self.cost) * 100 / self.value)


def _cost_for(rates: list[tuple], user: int, day: datetime.date) -> Decimal | None:
    """The cost rate in force for the user on the day: the latest start that covers it."""
    best = None
    for rate_user, start, end, cost in rates:
        covers = rate_user == user and start <= day and (end is None or day <= end)
        if covers and (best is None or start >= best[0]):
            best = (start, cost)
    return None if best is None else best[1]


def _credits(invoices: set[int]) -> dict[tuple[int, int], Decimal]:
    """What the credit notes of these invoices (draft or issued, as the invoices counted) took
    off each of their lines before VAT: (invoice, line position) → ₪. One query."""
    from django.db.models import Sum

    from kesher.billing.models import DocumentKind, InvoiceLine

    if not invoices:
        return {}
    return {
        (invoice, position): net or ZERO
        for invoice, position, net in InvoiceLine.objects.filter(
            document__kind=DocumentKind.CREDIT_NOTE,
            document__based_on__in=invoices,
            source_line__isnull=False,
        )
        .values_list("document__based_on", "source_line")
        .annotate(net=Sum("net_ils"))
        .order_by()
        .values_list("document__based_on", "source_line", "net")
    }


def profitability(
    user,
    *,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    project: int | None = None,
) -> list[ProjectProfit]:
    """Each project with approved hours the user sees in the dates, most valuable first."""
    entries = TimeEntry.objects.visible_to(user).filter(state__in=TimeEntry.APPROVED_STATES)
    if date_from:
        entries = entries.filter(date__gte=date_from)
    if date_to:
        entries = entries.filter(date__lte=date_to)
    if project:
        entries = entries.filter(project=project)
    rows = list(
        entries.order_by().values_list(
            "project_id",
            "project__name",
            "project__code",
            "project__account_id",
            "project__account__name",
            "user_id",
            "date",
            "minutes",
            "billable",
            "invoice_line__net_ils",
            "invoice_line__document_id",
            "invoice_line__position",
        )
    )
    if not rows:
        return []
    credits = _credits({row[10] for row in rows if row[10]})
    project_ids = {row[0] for row in rows}
    accounts = {row[3] for row in rows if row[3]}
    roles = {
        (p, u): r
        for p, u, r in ProjectMember.objects.filter(
            project__in=project_ids, role__isnull=False
        ).values_list("project_id", "user_id", "role_id")
    }
    columns = ("pk", "hourly_rate", "valid_from", "valid_to", "user_id", "role_id", "account_id")
    cards = [
        Card(pk=pk, rate=rate, valid_from=start, valid_to=end, user=u, role=role, account=acc)
        for pk, rate, start, end, u, role, acc in RateCard.objects.filter(
            Q(account__in=accounts) | Q(account__isnull=True)
        ).values_list(*columns)
    ]
    show_cost = cost_visible(user)
    rates: dict[int, list[tuple]] = defaultdict(list)
    if show_cost:
        people = {row[5] for row in rows}
        for rate in CostRate.objects.filter(user__in=people).values_list(
            "user_id", "valid_from", "valid_to", "hourly_cost"
        ):
            rates[rate[0]].append(rate)
    found: dict[int, ProjectProfit] = {}
    for row in rows:
        pid, name, code, account_id, account, person, day, minutes, billable, net = row[:10]
        line = found.get(pid)
        if line is None:
            label = f"{code} {name}".strip() if code else name
            line = found[pid] = ProjectProfit(pid, label, account or "")
            if not show_cost:
                line.cost = None
        line.minutes += minutes
        if billable:
            line.billable_minutes += minutes
            card = rate_for(
                cards, user=person, role=roles.get((pid, person)), account=account_id, day=day
            )
            if card is None:
                line.unpriced_minutes += minutes
            else:
                line.value += entry_value(minutes, card.rate)
        if net is not None:
            credited = credits.get((row[10], row[11]), ZERO)
            line.invoiced += net - credited
            line.credited += credited
        if show_cost:
            cost = _cost_for(rates[person], person, day)
            if cost is None:
                line.uncosted_minutes += minutes
            else:
                line.cost += entry_value(minutes, cost)
    return sorted(found.values(), key=lambda p: (-p.value, p.name, p.project_id))

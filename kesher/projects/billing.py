"""The billable value of a project's approved hours at the rate cards (REQ PR-4; decision
0069). Pure arithmetic over rows read in a fixed number of queries: each hour's rate is the
most specific card in force on its date — employee over project role over customer, a later
start over an earlier one — and each entry's value is its hours × rate rounded to agorot, half
up; the project's value is the sum of its entries' values, so the printed lines add up.

Invoicing these hours waits for the tax documents (issue 20 item 4): nothing here writes.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q

from kesher.projects.models import Project, ProjectMember, RateCard, TimeEntry

__all__ = ["Card", "Value", "entry_value", "project_value", "rate_for"]

AGOROT = Decimal("0.01")


@dataclass(frozen=True)
class Card:
    pk: int
    rate: Decimal
    valid_from: datetime.date
    valid_to: datetime.date | None = None
    user: int | None = None
    role: int | None = None
    account: int | None = None

    def matches(self, *, user: int, role: int | None, account: int, day: datetime.date) -> bool:
        return (
            self.valid_from <= day
            and (self.valid_to is None or day <= self.valid_to)
            and self.user in (None, user)
            and (self.role is None or self.role == role)
            and self.account in (None, account)
        )

    def specificity(self) -> tuple:
        return (
            self.user is not None,
            self.role is not None,
            self.account is not None,
            self.valid_from,
            self.pk,
        )


def rate_for(
    cards: Iterable[Card], *, user: int, role: int | None, account: int, day
) -> Card | None:
    """The card that prices one hour, or None when no card matches."""
    found = [c for c in cards if c.matches(user=user, role=role, account=account, day=day)]
    return max(found, key=Card.specificity, default=None)


def entry_value(minutes: int, rate: Decimal) -> Decimal:
    """An entry's value: its hours × the rate, rounded to agorot half up."""
    return (Decimal(minutes) * rate / 60).quantize(AGOROT, rounding=ROUND_HALF_UP)


@dataclass
class Value:
    amount: Decimal = Decimal("0.00")
    minutes: int = 0
    unpriced_minutes: int = 0  # approved billable hours no card prices
    lines: list[tuple[int, Decimal | None, Decimal]] = field(default_factory=list)


def project_value(project: Project) -> Value:
    """The billable value of the project's approved billable hours (three queries)."""
    entries = list(
        TimeEntry.objects.filter(
            project=project, state__in=TimeEntry.APPROVED_STATES, billable=True
        ).values_list("pk", "user_id", "date", "minutes")
    )
    roles = dict(
        ProjectMember.objects.filter(project=project, role__isnull=False).values_list(
            "user_id", "role_id"
        )
    )
    columns = ("pk", "hourly_rate", "valid_from", "valid_to", "user_id", "role_id", "account_id")
    cards = [
        Card(
            pk=pk, rate=rate, valid_from=start, valid_to=end, user=user, role=role, account=account
        )
        for pk, rate, start, end, user, role, account in RateCard.objects.filter(
            Q(account=project.account_id) | Q(account__isnull=True)
        ).values_list(*columns)
    ]
    value = Value()
    for pk, user, day, minutes in entries:
        card = rate_for(cards, user=user, role=roles.get(user), account=project.account_id, day=day)
        value.minutes += minutes
        if card is None:
            value.unpriced_minutes += minutes
            value.lines.append((pk, None, Decimal("0.00")))
            continue
        amount = entry_value(minutes, card.rate)
        value.amount += amount
        value.lines.append((pk, card.rate, amount))
    return value

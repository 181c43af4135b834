"""Sales' figures in the customer 360° view (REQ CU-7, CU-8): an account's (or a contact's)
open opportunities — how many, their sum, a link to them — its won revenue and its last won
deal. Only deals the reader may see count (REQ OR-3); revenue by product group arrives with
the catalogue (its slot stays empty until then). Alert rules on accounts may name the same
figures in their conditions (CU-8): ``open_opportunities``, ``won_revenue``, ``last_won_at``."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Max, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kesher.activities.overview import Figure, register_figure
from kesher.platform.access import can
from kesher.platform.lists.filterlang import DerivedField, register_derived_field
from kesher.platform.registry import registry
from kesher.sales.models import Opportunity, Stage
from kesher.sales.selectors import money

# How each kind of record is a deal's: the deal's field that names it.
DEAL_FIELD = {"accounts": "account", "contacts": "contacts"}


def _deals(record, user):
    """The record's deals the reader may see, or None when he may see no deals."""
    if not can(user, "opportunities", "view"):
        return None
    key = registry.for_model(record).key
    return Opportunity.objects.visible_to(user).filter(**{DEAL_FIELD[key]: record})


def _totals(record, user) -> dict | None:
    """Open deals' count and sum and won deals' sum: one aggregate, kept on the record for the
    figures that share it."""
    if not hasattr(record, "_sales_totals"):
        deals = _deals(record, user)
        record._sales_totals = (
            None
            if deals is None
            else deals.aggregate(
                open_count=Count("pk", filter=Q(stage__outcome=Stage.Outcome.OPEN)),
                open_sum=Sum("amount", filter=Q(stage__outcome=Stage.Outcome.OPEN)),
                won_sum=Sum("amount", filter=Q(stage__outcome=Stage.Outcome.WON)),
            )
        )
    return record._sales_totals


def _open_opportunities(record, user):
    totals = _totals(record, user)
    if totals is None:
        return None
    return f"{totals['open_count']} · {money(totals['open_sum'] or 0)}"


def _opportunities_list(record, user) -> str:
    """The deals list narrowed to the record's deals (those the reader may see)."""
    field = DEAL_FIELD[registry.for_model(record).key]
    return f"{reverse('entity_list', args=['opportunities'])}?{field}={record.pk}"


def _won_revenue(record, user):
    totals = _totals(record, user)
    return None if totals is None else money(totals["won_sum"] or 0)


def _last_won_deal(record, user):
    """The record's latest won deal the reader may see (read once per page)."""
    if not hasattr(record, "_sales_last_won"):
        deals = _deals(record, user)
        record._sales_last_won = (
            None
            if deals is None
            else deals.won().order_by("-closed_at", "-id").only("pk", "name", "closed_at").first()
        )
    return record._sales_last_won


def _last_won(record, user):
    if not can(user, "opportunities", "view"):
        return None
    deal = _last_won_deal(record, user)
    if deal is None:
        return _("none yet")
    if deal.closed_at is None:
        return deal.name
    return f"{deal.name} · {date_format(localtime(deal.closed_at), 'SHORT_DATE_FORMAT')}"


def _last_won_link(record, user):
    deal = _last_won_deal(record, user)
    return None if deal is None else reverse("entity_detail", args=["opportunities", deal.pk])


register_figure(
    Figure(
        "open_opportunities",
        gettext_lazy("Open opportunities"),
        _open_opportunities,
        entities=("accounts", "contacts"),
        order=50,
        link=_opportunities_list,
    )
)
register_figure(
    Figure(
        "won_revenue",
        gettext_lazy("Won revenue"),
        _won_revenue,
        entities=("accounts", "contacts"),
        order=55,
    )
)
register_figure(
    Figure(
        "last_won",
        gettext_lazy("Last won deal"),
        _last_won,
        entities=("accounts", "contacts"),
        order=58,
        link=_last_won_link,
    )
)


# --- the same figures for alert rules' conditions (REQ CU-8) -------------------------------------


def _of_account(deals):
    """Correlated to the account row a condition is evaluated on, one value per account."""
    return deals.filter(account=OuterRef("pk")).order_by().values("account")


register_derived_field(
    DerivedField(
        "accounts",
        "open_opportunities",
        "number",
        lambda: Coalesce(
            Subquery(
                _of_account(Opportunity.objects.all().open()).annotate(n=Count("pk")).values("n")
            ),
            0,
        ),
        gettext_lazy("Open opportunities"),
    )
)
register_derived_field(
    DerivedField(
        "accounts",
        "won_revenue",
        "number",
        lambda: Coalesce(
            Subquery(
                _of_account(Opportunity.objects.all().won()).annotate(s=Sum("amount")).values("s")
            ),
            Value(Decimal("0")),
        ),
        gettext_lazy("Won revenue"),
    )
)
register_derived_field(
    DerivedField(
        "accounts",
        "last_won_at",
        "datetime",
        lambda: Subquery(
            _of_account(Opportunity.objects.all().won())
            .annotate(last=Max("closed_at"))
            .values("last")
        ),
        gettext_lazy("Last won deal"),
    )
)

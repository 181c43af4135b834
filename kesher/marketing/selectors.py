"""What each campaign brought (REQ MK-1, MK-3): leads, converted leads, won deals and their
amount, cost, cost per lead and ROI, by first and by last touch — each figure one aggregate
query over the reader's visible leads and deals, whatever the number of records."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum

from kesher.marketing.models import Campaign, CampaignCost

__all__ = ["Results", "campaign_results"]

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Results:
    touch: str  # "first" / "last"
    leads: int
    converted: int
    deals: int
    won_deals: int
    won_amount: Decimal
    cost: Decimal
    budget: Decimal | None

    @property
    def cost_per_lead(self) -> Decimal | None:
        return (self.cost / self.leads).quantize(Decimal("0.01")) if self.leads else None

    @property
    def cost_per_won_deal(self) -> Decimal | None:
        return (self.cost / self.won_deals).quantize(Decimal("0.01")) if self.won_deals else None

    @property
    def conversion_rate(self) -> Decimal | None:
        if not self.leads:
            return None
        return (Decimal(self.converted * 100) / self.leads).quantize(Decimal("0.1"))

    @property
    def roi(self) -> Decimal | None:
        """(won amount − cost) / cost, in percent; None while nothing was spent."""
        if not self.cost:
            return None
        return ((self.won_amount - self.cost) * 100 / self.cost).quantize(Decimal("0.1"))

    def as_dict(self) -> dict:
        return {
            "touch": self.touch,
            "leads": self.leads,
            "converted": self.converted,
            "conversion_rate": self.conversion_rate,
            "deals": self.deals,
            "won_deals": self.won_deals,
            "won_amount": self.won_amount,
            "cost": self.cost,
            "budget": self.budget,
            "cost_per_lead": self.cost_per_lead,
            "cost_per_won_deal": self.cost_per_won_deal,
            "roi": self.roi,
        }


def campaign_results(campaign: Campaign, user) -> list[Results]:
    """The campaign's figures by first and by last touch, counting only the leads and deals
    ``user`` may see (the cost is the campaign's own)."""
    from kesher.platform.access import can
    from kesher.sales.models import Lead, Opportunity

    cost = CampaignCost.objects.filter(campaign=campaign).aggregate(s=Sum("amount"))["s"] or ZERO
    leads = Lead.objects.visible_to(user) if can(user, "leads", "view") else Lead.objects.none()
    deals = (
        Opportunity.objects.visible_to(user)
        if can(user, "opportunities", "view")
        else Opportunity.objects.none()
    )
    won_ids = Opportunity.objects.won().values("pk")
    results = []
    for touch, field in (("first", "campaign"), ("last", "last_campaign")):
        lead_figures = leads.filter(**{field: campaign}).aggregate(
            n=Count("pk"), converted=Count("pk", filter=Q(converted_at__isnull=False))
        )
        deal_figures = deals.filter(**{field: campaign}).aggregate(
            n=Count("pk"),
            won=Count("pk", filter=Q(pk__in=won_ids)),
            amount=Sum("amount", filter=Q(pk__in=won_ids)),
        )
        results.append(
            Results(
                touch=touch,
                leads=lead_figures["n"],
                converted=lead_figures["converted"],
                deals=deal_figures["n"],
                won_deals=deal_figures["won"],
                won_amount=deal_figures["amount"] or ZERO,
                cost=cost,
                budget=campaign.budget,
            )
        )
    return results


def campaign_bounces(campaign: Campaign) -> dict[str, int]:
    """How many bounces of each kind the campaign's e-mails brought (decision 0120)."""
    from kesher.marketing.models import EmailBounce

    counts = dict.fromkeys(EmailBounce.Kind.values, 0)
    rows = (
        EmailBounce.objects.filter(campaign=campaign, status=EmailBounce.Status.RECORDED)
        .values("kind")
        .annotate(n=Count("id"))
    )
    for row in rows:
        counts[row["kind"]] = row["n"]
    return counts

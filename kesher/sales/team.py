"""Deal activity in "what my team is doing now" (REQ CU-10): the team's new deals and stage
moves of the last days, from the deals themselves (each deal's latest move), the viewer's
visible ones only."""

from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils.translation import gettext as _

from kesher.activities.selectors import register_team_activity
from kesher.platform.access import can
from kesher.sales.models import Opportunity

RECENT = datetime.timedelta(days=7)
# A deal whose clock started within this of its creation has not moved since.
SAME_MOMENT = datetime.timedelta(seconds=5)


@register_team_activity
def deal_activity(viewer, member_ids, now, latest) -> list[dict]:
    if not can(viewer, "opportunities", "view") or not member_ids:
        return []
    deals = (
        Opportunity.objects.visible_to(viewer)
        .filter(owner_id__in=member_ids, stage_entered_at__gt=now - RECENT)
        .select_related("stage")
        .only("pk", "name", "owner_id", "created_at", "stage_entered_at", "stage")
        .order_by("-stage_entered_at", "-id")[:latest]
    )
    entries = []
    for deal in deals:
        new = deal.stage_entered_at - deal.created_at < SAME_MOMENT
        entries.append(
            {
                "at": deal.stage_entered_at,
                "user_id": deal.owner_id,
                "label": _("New deal") if new else _("Deal moved"),
                "text": deal.name if new else f"{deal.name} → {deal.stage}",
                "url": reverse("entity_detail", args=["opportunities", deal.pk]),
            }
        )
    return entries

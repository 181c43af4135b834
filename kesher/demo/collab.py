"""The demo's working together (issue 23 item 4): each sales manager follows two deals of
each rep of his team; every rep asks his manager something in a note mentioning him, and the
manager answers mentioning the rep and moves the deal on — so the reps' feeds and bells, and
the managers', have real news (David reads his in English). Through the services, as the
users themselves; the stage moves reach the followers when the demo's load commits."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from kesher.collab.services import follow, note_create
from kesher.org.models import User
from kesher.platform.registry import registry
from kesher.sales.models import Opportunity, Stage
from kesher.sales.services import opportunity_move_stage

__all__ = ["create_collab"]

QUESTION = "@{manager} הלקוח מבקש הנחה של 8% — מאשר?"
ANSWER = "@{rep} מאושר עד 6%, תעדכן אותי אחרי השיחה."
QUESTION_EN = "@{manager} the customer asks for 8% off — do you approve?"
ANSWER_EN = "@{rep} up to 6% is fine, tell me how the call went."


def _open_deals(rep: User) -> list[Opportunity]:
    return list(
        Opportunity.objects.filter(owner=rep, stage__outcome="open")
        .select_related("stage")
        .order_by("pk")[:2]
    )


def _next_stage(deal: Opportunity) -> Stage | None:
    return (
        Stage.objects.filter(
            pipeline_id=deal.stage.pipeline_id,
            active=True,
            outcome="open",
            order__gt=deal.stage.order,
        )
        .order_by("order")
        .first()
    )


def create_collab(users: dict[str, User], teams: dict[str, tuple[str, ...]]) -> None:
    """``teams``: each sales manager's username and his reps'."""
    deals = registry.get("opportunities")
    for manager_name, reps in teams.items():
        manager = users[manager_name]
        for rep_name in reps:
            rep = users[rep_name]
            mine = _open_deals(rep)
            for deal in mine:
                follow(actor=manager, entity=deals, record=deal)
            if not mine:
                continue
            deal = mine[0]
            english = rep.language == "en"
            note_create(
                actor=rep,
                entity=deals,
                record=deal,
                body=(QUESTION_EN if english else QUESTION).format(manager=manager),
                mentions=[manager.pk],
            )
            note_create(
                actor=manager,
                entity=deals,
                record=deal,
                body=(ANSWER_EN if english else ANSWER).format(rep=rep),
                mentions=[rep.pk],
            )
            stage = _next_stage(deal)
            if stage is None:
                continue
            try:
                opportunity_move_stage(deal, actor=manager, stage=stage)
            except ValidationError:
                # The next stage asks for fields this deal has not filled: it stays.
                continue

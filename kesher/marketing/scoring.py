"""Lead scores from the scoring rules (REQ TK-8, MK-4; decision 0105).

A lead's score is the sum of the active rules' points: a field rule gives its points when the
lead meets its condition (the filter language), a behaviour rule its points for each web form
the lead sent, each interaction with him or each e-mail from him, up to its ceiling. All the
field rules are one aggregate over the lead's row and each behaviour one count on an index,
so a recomputation costs a few queries whatever the number of rules.

The score is recomputed after every committed change of a lead and every interaction logged on
one (a subscriber of the platform's events), and when a web form is received. It is written
through ``record_update``, so the change is audited and automation's "the score crosses N"
trigger sees it.
"""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy

from kesher.automation.triggers import ConfigField, Trigger, config_error, register_trigger
from kesher.marketing.models import FormSubmission, ScoringRule
from kesher.platform import events, stamps
from kesher.platform.lists.filterlang import compile_filter
from kesher.platform.records.services import record_update
from kesher.platform.registry import registry

__all__ = ["lead_score", "lead_score_refresh"]


def _behaviour_counts(lead, behaviours: set[str]) -> dict[str, int]:
    from kesher.activities.models import Interaction

    counts = {}
    if ScoringRule.Behaviour.FORM_SUBMISSION in behaviours:
        counts[ScoringRule.Behaviour.FORM_SUBMISSION] = FormSubmission.objects.filter(
            lead=lead
        ).count()
    if behaviours & {ScoringRule.Behaviour.INTERACTION, ScoringRule.Behaviour.EMAIL_IN}:
        row = Interaction.objects.filter(link_type="leads", link_id=lead.pk).aggregate(
            interaction=Count("pk"),
            email_in=Count("pk", filter=Q(kind__value="email", direction="in")),
        )
        counts.update(row)
    return counts


def active_rules() -> list[ScoringRule]:
    """The active scoring rules, read once per process until a rule changes: every lead's and
    interaction's write asks whether there are any."""
    return stamps.cached(
        stamps.AUTOMATION, "scoring_rules", lambda: list(ScoringRule.objects.filter(active=True))
    )


def lead_score(lead, rules: list[ScoringRule] | None = None) -> int | None:
    """The score the active rules give ``lead``; None when there are no rules."""
    rules = rules if rules is not None else active_rules()
    if not rules:
        return None
    entity = registry.get("leads")
    model = entity.model
    field_rules = [r for r in rules if r.condition]
    total = 0
    if field_rules:
        aliases, met = {}, {}
        for rule in field_rules:
            q, needed = compile_filter(entity, rule.condition)
            aliases.update(needed)
            met[f"r{rule.pk}"] = Count("pk", filter=q)
        row = model._base_manager.filter(pk=lead.pk).alias(**aliases).aggregate(**met)
        total += sum(r.points for r in field_rules if row[f"r{r.pk}"])
    behaviour_rules = [r for r in rules if r.behaviour]
    if behaviour_rules:
        counts = _behaviour_counts(lead, {r.behaviour for r in behaviour_rules})
        for rule in behaviour_rules:
            points = rule.points * counts.get(rule.behaviour, 0)
            if rule.ceiling is not None:
                points = min(points, rule.ceiling)
            total += points
    return total


def lead_score_refresh(lead, *, behaviour: str = "") -> int | None:
    """Recompute ``lead``'s score and write it when it changed (``behaviour``: what just
    happened, for the reader of the code; every behaviour is counted afresh)."""
    score = lead_score(lead)
    if score is None or score == lead.score:
        return lead.score
    record_update(lead, actor=None, data={"score": score})
    return score


def _on_change(event: events.Event) -> None:
    """After a lead's change or an interaction on a lead: its score again."""
    if event.entity not in ("leads", "interactions") or not active_rules():
        return
    if event.entity == "leads":
        if set(event.changes) <= {"score"} and event.name == events.UPDATED:
            return  # its own write
        lead_id = event.object_id
    else:  # an interaction: scored when it is on a lead
        from kesher.activities.models import Interaction

        link = (
            Interaction.objects.filter(pk=event.object_id, link_type="leads")
            .values_list("link_id", flat=True)
            .first()
        )
        if link is None:
            return
        lead_id = link
    from kesher.sales.models import Lead

    lead = Lead._base_manager.filter(pk=lead_id).first()
    if lead is not None and lead.converted_at is None:
        lead_score_refresh(lead)


events.subscribe(events.CREATED, _on_change)
events.subscribe(events.UPDATED, _on_change)


# --- automation: "the score crosses N" ---------------------------------------------------------


def _validate_crossed(entity, config: dict) -> dict:
    if entity.key != "leads":
        raise config_error("score", gettext_lazy("This trigger is for rules on leads."))
    value = config.get("score")
    try:
        score = int(str(value))
    except (TypeError, ValueError):
        raise config_error("score", gettext_lazy("Enter a whole number.")) from None
    return {"score": score}


def _crossed(rule, event) -> list[int]:
    if event.entity != rule.entity or event.entity != "leads":
        return []
    change = event.changes.get("score")
    if change is None:
        return []
    old, new = change
    threshold = rule.trigger_config.get("score", 0)
    below = old is None or int(old) < threshold
    return [event.object_id] if below and new is not None and int(new) >= threshold else []


register_trigger(
    Trigger(
        "score_crossed",
        gettext_lazy("The lead's score reaches N"),
        fields=(ConfigField("score", gettext_lazy("Score"), kind="number", required=True),),
        events=(events.UPDATED,),
        validate=_validate_crossed,
        match=_crossed,
        description=gettext_lazy(
            "The scoring rules raised the lead's score from below N to N or more: e.g. create "
            "a task for the lead's owner or e-mail him."
        ),
    )
)

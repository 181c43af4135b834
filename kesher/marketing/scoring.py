"""Lead scores from the scoring rules (REQ TK-8, MK-4; decision 0105).

A lead's score is the sum of the active rules' points: a field rule gives its points when the
lead meets its condition (the filter language), a behaviour rule its points for each web form
the lead sent, each interaction with him or each e-mail from him, up to its ceiling. All the
field rules are one aggregate over the lead's row and each behaviour one count on an index,
so a recomputation costs a few queries whatever the number of rules.

The score is recomputed after every committed change of a lead and every interaction logged on
one (a subscriber of the platform's events), and when a web form is received; every open
lead's, by the worker in batches, after a rule is added, changed or removed (decision 0117).
It is written through ``record_update``, so the change is audited and automation's "the score
crosses N" trigger sees it.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy

from kesher.automation.triggers import ConfigField, Trigger, config_error, register_trigger
from kesher.marketing.models import FormSubmission, ScoreRecompute, ScoringRule
from kesher.platform import events, stamps
from kesher.platform.lists.filterlang import compile_filter
from kesher.platform.records.services import record_update
from kesher.platform.registry import registry

__all__ = [
    "lead_score",
    "lead_score_refresh",
    "lead_scores",
    "recompute_scores",
    "score_recompute_request",
]


def _behaviour_counts(lead_ids: list[int], behaviours: set[str]) -> dict[int, dict[str, int]]:
    """For each lead, how often it did each behaviour: one grouped count per kind."""
    from kesher.activities.models import Interaction

    counts: dict[int, dict[str, int]] = {pk: {} for pk in lead_ids}
    if ScoringRule.Behaviour.FORM_SUBMISSION in behaviours:
        rows = (
            FormSubmission.objects.filter(lead_id__in=lead_ids)
            .order_by()
            .values_list("lead_id")
            .annotate(n=Count("pk"))
        )
        for lead_id, n in rows:
            counts[lead_id][ScoringRule.Behaviour.FORM_SUBMISSION] = n
    if behaviours & {ScoringRule.Behaviour.INTERACTION, ScoringRule.Behaviour.EMAIL_IN}:
        rows = (
            Interaction.objects.filter(link_type="leads", link_id__in=lead_ids)
            .order_by()
            .values("link_id")
            .annotate(
                interaction=Count("pk"),
                email_in=Count("pk", filter=Q(kind__value="email", direction="in")),
            )
        )
        for row in rows:
            counts[row.pop("link_id")].update(row)
    return counts


def active_rules() -> list[ScoringRule]:
    """The active scoring rules, read once per process until a rule changes: every lead's and
    interaction's write asks whether there are any."""
    return stamps.cached(
        stamps.AUTOMATION, "scoring_rules", lambda: list(ScoringRule.objects.filter(active=True))
    )


def lead_scores(lead_ids: list[int], rules: list[ScoringRule]) -> dict[int, int]:
    """The score ``rules`` give each lead of ``lead_ids``: the field rules in one grouped
    aggregate, each kind of behaviour in one grouped count, however many leads."""
    entity = registry.get("leads")
    model = entity.model
    totals = dict.fromkeys(lead_ids, 0)
    field_rules = [r for r in rules if r.condition]
    if field_rules and lead_ids:
        aliases, met = {}, {}
        for rule in field_rules:
            q, needed = compile_filter(entity, rule.condition)
            aliases.update(needed)
            met[f"r{rule.pk}"] = Count("pk", filter=q)
        rows = (
            model._base_manager.filter(pk__in=lead_ids)
            .alias(**aliases)
            .order_by()
            .values("pk")
            .annotate(**met)
        )
        for row in rows:
            totals[row["pk"]] += sum(r.points for r in field_rules if row[f"r{r.pk}"])
    behaviour_rules = [r for r in rules if r.behaviour]
    if behaviour_rules and lead_ids:
        counts = _behaviour_counts(lead_ids, {r.behaviour for r in behaviour_rules})
        for lead_id, done in counts.items():
            for rule in behaviour_rules:
                points = rule.points * done.get(rule.behaviour, 0)
                if rule.ceiling is not None:
                    points = min(points, rule.ceiling)
                totals[lead_id] += points
    return totals


def lead_score(lead, rules: list[ScoringRule] | None = None) -> int | None:
    """The score the active rules give ``lead``; None when there are no rules."""
    rules = rules if rules is not None else active_rules()
    if not rules:
        return None
    return lead_scores([lead.pk], rules)[lead.pk]


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


# --- every lead again when a rule changes (decision 0117) ----------------------------------------

BATCH = 200


def score_recompute_request(now=None) -> ScoreRecompute:
    """The rules changed: every open lead's score is recomputed by the worker. A run not yet
    finished starts over (the leads it did were scored by the rules before this change), so
    several changes in a row make one run."""
    now = now or timezone.now()
    with transaction.atomic():
        run = (
            ScoreRecompute.objects.select_for_update()
            .filter(finished_at__isnull=True)
            .order_by("id")
            .first()
        )
        if run is None:
            return ScoreRecompute.objects.create(requested_at=now)
        run.requested_at, run.after_id, run.leads_done, run.scores_changed = now, 0, 0, 0
        run.save(update_fields=["requested_at", "after_id", "leads_done", "scores_changed"])
        return run


def recompute_scores(now=None, limit: int = BATCH) -> int:
    """The worker tick's job: the next batch of open leads of the oldest unfinished run, their
    scores by the active rules written where they changed (audited; "the score reaches N"
    sees them) and the run's place, in one transaction. Returns how many leads were done.
    With no active rule left, the scores are cleared."""
    from kesher.sales.models import Lead

    with transaction.atomic():
        run = (
            ScoreRecompute.objects.select_for_update(skip_locked=True)
            .filter(finished_at__isnull=True)
            .order_by("id")
            .first()
        )
        if run is None:
            return 0
        leads = list(
            Lead._base_manager.filter(pk__gt=run.after_id, converted_at__isnull=True).order_by(
                "pk"
            )[:limit]
        )
        if not leads:
            run.finished_at = now or timezone.now()
            run.save(update_fields=["finished_at"])
            return 0
        rules = list(ScoringRule.objects.filter(active=True))
        scores = lead_scores([lead.pk for lead in leads], rules) if rules else {}
        changed = 0
        for lead in leads:
            score = scores.get(lead.pk)
            if score != lead.score:
                record_update(lead, actor=None, data={"score": score})
                changed += 1
        run.after_id = leads[-1].pk
        run.leads_done += len(leads)
        run.scores_changed += changed
        run.save(update_fields=["after_id", "leads_done", "scores_changed"])
        return len(leads)


def _on_rule_change(event: events.Event) -> None:
    if event.entity == "scoring-rules":
        score_recompute_request()


for _name in (events.CREATED, events.UPDATED, events.DELETED):
    events.subscribe(_name, _on_rule_change)


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

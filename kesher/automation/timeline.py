"""Automation runs on a record's timeline (issue 5 item 7), merged with its changes by
``kesher.platform.records.timeline``; shown to whoever may see automation rules."""

from __future__ import annotations

from django.db.models import Prefetch
from django.urls import reverse
from django.utils.translation import gettext as _

from kesher.automation.actions import action_types
from kesher.automation.engine import entities_with_rules
from kesher.automation.models import RuleActionResult, RuleRun
from kesher.platform.access import can
from kesher.platform.records.timeline import TimelineItem, register_source
from kesher.platform.registry import registry

LIMIT = 20


@register_source
def runs_of(record, user):
    if not registry.has_model(record) or not can(user, "automation-rules", "view"):
        return []
    key = registry.for_model(record).key
    if key not in entities_with_rules():
        return []  # no rule is about these records: no query
    runs = (
        RuleRun.objects.filter(entity=key, record_id=record.pk)
        .select_related("rule")
        .prefetch_related(Prefetch("results", RuleActionResult.objects.order_by("index")))
        .order_by("-created_at", "-id")[:LIMIT]
    )
    labels = {a.type: a.label for a in action_types()}
    items = []
    for run in runs:
        details = {_("Rule"): [None, run.rule.name], _("Status"): [None, run.get_status_display()]}
        for result in run.results.all():
            outcome = result.get_outcome_display()
            if result.error:
                outcome = f"{outcome}: {result.error}"
            label = labels.get(result.action_type, result.action_type)
            details[f"{result.index + 1}. {label}"] = [None, outcome]
        if run.error:
            details[_("Error")] = [None, run.error]
        items.append(
            TimelineItem(
                at=run.created_at,
                actor=None,
                title=_("Automation"),
                action="automation",
                changes=details,
                url=reverse("automation_rule_runs", args=[run.rule_id]),
            )
        )
    return items

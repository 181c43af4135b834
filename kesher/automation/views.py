"""Automation pages for administrators: the rules, the rule builder, a rule's run log and its
dry run (issue 5 items 1, 7). Thin: parse, authorize with ``can()``, call the services."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kesher.automation import services
from kesher.automation.actions import action_types, related_email_fields
from kesher.automation.api import dry_run_record
from kesher.automation.models import Rule, RuleActionResult, RuleRun
from kesher.automation.triggers import triggers
from kesher.platform import jsonlimits
from kesher.platform.access import can
from kesher.platform.lists.tables import Table
from kesher.platform.records.services import ConflictError
from kesher.platform.registry import registry
from kesher.platform.ui.forms import RecordPicker

RULES = "automation-rules"
RUN_LOG_LIMIT = 100


def _allowed(user, action: str) -> None:
    if not can(user, RULES, action):
        raise PermissionDenied


def _rule(request, pk) -> Rule:
    return get_object_or_404(Rule.objects.visible_to(request.user), pk=pk)


@login_required
def rule_list(request):
    _allowed(request.user, "view")
    rules = Rule.objects.visible_to(request.user).annotate(run_count=Count("runs"))
    context = {
        "rules": rules.order_by("entity", "order", "id"),
        "entities": registry.all(),
        "can_add": can(request.user, RULES, "add"),
        "can_change": can(request.user, RULES, "change"),
        "trigger_labels": {t.kind: t.label for t in triggers()},
    }
    return render(request, "automation/rules.html", context)


def _options(entity) -> dict:
    """What the builder's pickers offer for ``entity``."""
    from kesher.activities.models import TaskTemplate
    from kesher.org.models import Company, Department, Role, User
    from kesher.platform.models import Choice

    fields, date_fields, email_fields = [], [], []
    for model_field, ref in _settable_fields(entity):
        pair = [model_field.name, str(model_field.verbose_name)]
        fields.append(pair)
        if ref.kind in ("date", "datetime"):
            date_fields.append(pair)
        if model_field.get_internal_type() == "CharField" and "email" in model_field.name:
            email_fields.append(pair)
    # The address of a linked record: the customer a ticket is about (``contact.email``).
    email_fields += [[path, str(label)] for path, label in related_email_fields(entity)]
    status_list = entity.choice_lists.get(entity.status_field or "", "")
    statuses = [[c.value, c.label] for c in Choice.objects.filter(list_key=status_list)]
    if entity.status_field and not status_list:
        # A status that is a record of its own (a deal's stage): its records, by id.
        related = entity.model._meta.get_field(entity.status_field).related_model
        if related is not None:
            statuses = [[r.pk, str(r)] for r in related._base_manager.all()[:500]]
    return {
        "field": fields,
        "date_field": date_fields,
        "email_field": email_fields,
        "status": statuses,
        "task_type": [[c.value, c.label] for c in Choice.objects.filter(list_key="task_type")],
        "user": [[u.pk, str(u)] for u in User.objects.filter(is_active=True).order_by("username")],
        "role": [[r.key, str(r)] for r in Role.objects.order_by("pk")],
        "department": [[d.pk, str(d)] for d in Department.objects.order_by("path")],
        "company": [[c.pk, str(c)] for c in Company.objects.order_by("name")],
        "task_template": [[t.pk, str(t)] for t in TaskTemplate.objects.order_by("name")],
        "entity": [[e.key, str(e.label_plural)] for e in registry.all()],
        "email_template": _email_template_options(),
        # "Fields and values" settings: the fields an action may set, per kind of record.
        "field_values": _value_fields_by_entity(),
    }


def _settable_fields(entity):
    from kesher.platform.lists.filterlang import resolve_field

    for model_field in entity.model._meta.concrete_fields:
        if model_field.primary_key or model_field.name in ("custom", "password"):
            continue
        try:
            yield model_field, resolve_field(entity, model_field.name)
        except ValidationError:
            continue


def _value_fields_by_entity() -> dict:
    """Per kind of record, the fields an action may set: ``[name, label, choices]``, where a
    pick-list's choices are ``[value key, label]`` pairs (its active values) and others ``[]``."""
    from kesher.platform.customfields.values import definitions_for
    from kesher.platform.models import Choice

    choices: dict[str, list] = {}
    for choice in Choice.objects.filter(active=True).order_by("list_key", "order", "pk"):
        choices.setdefault(choice.list_key, []).append([choice.value, choice.label])
    result = {}
    for entity in registry.all():
        built_in = [
            [f.name, str(f.verbose_name), choices.get(entity.choice_lists.get(f.name, ""), [])]
            for f, _ref in _settable_fields(entity)
            if f.editable
        ]
        custom = [
            [f"custom.{d.key}", d.label, choices.get(d.choice_list, []) if d.choice_list else []]
            for d in definitions_for(entity)
        ]
        result[entity.key] = built_in + custom
    return result


def _email_template_options() -> list:
    from kesher.automation.actions import email_templates

    model = email_templates()
    if model is None:
        return []
    return [[t.pk, str(t)] for t in model.objects.filter(active=True).order_by("name")]


def _described(fields) -> list[dict]:
    return [
        {
            "name": f.name,
            "label": str(f.label),
            "kind": f.kind,
            "options": [[value, str(label)] for value, label in f.options],
            "required": f.required,
            "default": f.default,
        }
        for f in fields
    ]


def _builder_context(request, rule: Rule | None, entity_key: str, posted: dict | None = None):
    entity = registry.get(entity_key)
    values = posted or {
        "name": getattr(rule, "name", ""),
        "description": getattr(rule, "description", ""),
        "enabled": getattr(rule, "enabled", True),
        "order": getattr(rule, "order", 100),
        "trigger_kind": getattr(rule, "trigger_kind", "created"),
        "trigger_config": getattr(rule, "trigger_config", {}),
        "condition": getattr(rule, "condition", {}),
        "change_conditions": getattr(rule, "change_conditions", []),
        "actions": getattr(rule, "actions", []),
    }
    table = Table(entity, request)
    return {
        "rule": rule,
        "entity": entity,
        "entities": registry.all(),
        "values": values,
        "condition_json": json.dumps(values["condition"] or {}, ensure_ascii=False)
        if values["condition"]
        else "",
        "builder": table.builder(),
        "rule_builder": {
            "triggers": [
                {
                    "kind": t.kind,
                    "label": str(t.label),
                    "fields": _described(t.fields),
                    "description": str(t.description),
                }
                for t in triggers()
            ],
            "actions": [
                {"type": a.type, "label": str(a.label), "fields": _described(a.fields)}
                for a in action_types()
            ],
            "entity": entity.key,
            "options": _options(entity),
            "trigger_kind": values["trigger_kind"],
            "trigger_config": values["trigger_config"],
            "change_conditions": values["change_conditions"],
            "actions_value": values["actions"],
            "labels": {
                "from": _("from"),
                "to": _("to"),
                "any": _("(any)"),
                "up": _("Move up"),
                "down": _("Move down"),
                "remove": _("Remove"),
                "field": _("Field"),
                "value": _("Value"),
                "add_field": _("Add a field"),
            },
        },
    }


def _posted(request) -> dict:
    post = request.POST
    return {
        "name": post.get("name", ""),
        "description": post.get("description", ""),
        "enabled": post.get("enabled") == "on",
        "order": post.get("order") or 100,
        "trigger_kind": post.get("trigger_kind", ""),
        "trigger_config": post.get("trigger_config", "{}"),
        "condition": post.get("condition", ""),
        "change_conditions": post.get("change_conditions", "[]"),
        "actions": post.get("actions", "[]"),
    }


def _json_or(value, default):
    if isinstance(value, str):
        try:
            return jsonlimits.loads(value) if value.strip() else default
        except ValueError:
            return default
    return value


@login_required
def rule_builder(request, pk=None):
    """Create (``pk`` None) or change a rule: trigger, condition, changes, actions."""
    _allowed(request.user, "change" if pk else "add")
    rule = _rule(request, pk) if pk else None
    entity_key = rule.entity if rule else request.GET.get("entity", "")
    known = registry.keys()
    if entity_key not in known:
        entity_key = "accounts" if "accounts" in known else known[0]
    errors = {}
    posted = None
    if request.method == "POST":
        data = {**_posted(request), "entity": entity_key}
        try:
            if rule is None:
                rule = services.rule_create(actor=request.user, data=data)
            else:
                rule = services.rule_update(
                    rule,
                    actor=request.user,
                    data=data,
                    expected_version=request.POST.get("version") or None,
                )
            messages.success(request, _("The rule was saved."))
            return redirect("automation_rule_runs", pk=rule.pk)
        except ConflictError as error:
            errors = {"__all__": [str(error)]}
        except ValidationError as error:
            errors = error.message_dict
        posted = {
            **data,
            "trigger_config": _json_or(data["trigger_config"], {}),
            "condition": _json_or(data["condition"], {}),
            "change_conditions": _json_or(data["change_conditions"], []),
            "actions": _json_or(data["actions"], []),
        }
    context = _builder_context(request, rule, entity_key, posted)
    context["errors"] = errors
    status = 400 if errors else 200
    return render(request, "automation/builder.html", context, status=status)


@login_required
@require_POST
def rule_toggle(request, pk):
    _allowed(request.user, "change")
    rule = _rule(request, pk)
    services.rule_set_enabled(rule, actor=request.user, enabled=not rule.enabled)
    return redirect("automation_rules")


@login_required
def rule_runs(request, pk):
    """The rule's run log: each run with each action's outcome and error, newest first."""
    _allowed(request.user, "view")
    rule = _rule(request, pk)
    runs = (
        RuleRun.objects.filter(rule=rule)
        .prefetch_related(Prefetch("results", RuleActionResult.objects.order_by("index")))
        .order_by("-created_at", "-id")[:RUN_LOG_LIMIT]
    )
    runs = list(runs)
    _label_runs(rule, runs)
    context = {
        "rule": rule,
        "runs": runs,
        "entity": registry.get(rule.entity),
        "can_change": can(request.user, RULES, "change"),
        "dry_run": None,
    }
    record = None
    asked = request.GET.get("record", "")
    if asked:
        try:
            if not asked.isdigit():
                raise ValidationError({"record_id": [_("Enter a whole number.")]})
            record = dry_run_record(request.user, rule, int(asked))
            context["dry_run"] = services.rule_dry_run(rule, record)
        except ValidationError as error:
            context["dry_run_error"] = " ".join(error.messages)
    # The picker names only a record the user may see (one the dry run accepted).
    picker = RecordPicker(rule.entity, attrs={"id": "dry-run-record"})
    context["record_picker"] = picker.render("record", record.pk if record else None)
    return render(request, "automation/runs.html", context)


def _label_runs(rule: Rule, runs: list) -> None:
    """Each run's record by name and each action by its label (two queries at most)."""
    labels = {a.type: a.label for a in action_types()}
    model = registry.get(rule.entity).model
    names = {
        r.pk: str(r) for r in model._base_manager.filter(pk__in={run.record_id for run in runs})
    }
    for run in runs:
        run.record_display = names.get(run.record_id, f"#{run.record_id}")
        for result in run.results.all():
            result.label = labels.get(result.action_type, result.action_type)


@login_required
@require_POST
def rule_webhook(request, pk):
    """A new secret address for the rule's incoming webhook, shown once on the page."""
    _allowed(request.user, "change")
    rule = _rule(request, pk)
    if rule.trigger_kind != "webhook":
        raise PermissionDenied
    token = services.rule_webhook_regenerate(rule, actor=request.user)
    url = request.build_absolute_uri(f"/api/v1/automation-hooks/{token}/")
    messages.success(request, _("The rule's new address (shown once): %(url)s") % {"url": url})
    return redirect(reverse("automation_rule_runs", args=[rule.pk]))

"""Writes on automation rules: create, change, enable/disable, the incoming-webhook secret, and
the dry run (which writes nothing). Every part of a rule is checked here, so the rule builder,
the API and process templates get the same translated errors naming the field (REQ AU-1)."""

from __future__ import annotations

import hashlib
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kesher.automation.actions import ActionContext, action_for
from kesher.automation.engine import compile_rule, record_matches
from kesher.automation.models import Rule
from kesher.automation.triggers import trigger_for
from kesher.automation.worker import error_message
from kesher.platform import jsonlimits
from kesher.platform.lists.filterlang import compile_filter, resolve_field
from kesher.platform.records.audit import register_fact
from kesher.platform.records.services import record_create, record_delete, record_update
from kesher.platform.registry import registry

__all__ = [
    "hash_token",
    "rule_create",
    "rule_delete",
    "rule_dry_run",
    "rule_set_enabled",
    "rule_update",
    "rule_webhook_regenerate",
]

# A rule's audit entries say when its incoming webhook got a new secret (never the secret).
WEBHOOK = register_fact("webhook", gettext_lazy("incoming webhook secret"))
MAX_ACTIONS = 20
MAX_CHANGE_CONDITIONS = 10
JSON_FIELDS = ("trigger_config", "condition", "change_conditions", "actions")


def _parse_json(data: dict) -> None:
    """JSON written as text (the rule builder's hidden inputs, a form's textarea) is read."""
    for name in JSON_FIELDS:
        if isinstance(data.get(name), str):
            text = data[name].strip()
            try:
                data[name] = (
                    jsonlimits.loads(text) if text else ({} if name in JSON_FIELDS[:2] else [])
                )
            except ValueError:
                raise ValidationError({name: [_("Enter valid JSON.")]}) from None


def _check_trigger(entity, kind, config) -> dict:
    trigger = trigger_for(kind) if isinstance(kind, str) else None
    if trigger is None:
        raise ValidationError({"trigger_kind": [_("Unknown trigger.")]})
    if config is None:
        config = {}
    if not isinstance(config, dict):
        raise ValidationError({"trigger_config": [_("The trigger settings must be an object.")]})
    return trigger.validate(entity, config)


def _check_condition(entity, condition) -> dict:
    if condition in (None, "", {}):
        return {}
    if not isinstance(condition, dict):
        raise ValidationError({"condition": [_("Write the condition in the filter language.")]})
    try:
        compile_filter(entity, condition)
    except ValidationError as error:
        messages = error.message_dict.get("filter") or error.messages
        raise ValidationError({"condition": messages}) from None
    return condition


def _check_changes(entity, checks) -> list:
    if checks in (None, ""):
        return []
    if not isinstance(checks, list) or len(checks) > MAX_CHANGE_CONDITIONS:
        raise ValidationError(
            {"change_conditions": [_("Give a list of at most 10 conditions on the change.")]}
        )
    cleaned = []
    for number, check in enumerate(checks, start=1):
        if not isinstance(check, dict) or set(check) - {"field", "from", "to"}:
            raise ValidationError(
                {
                    "change_conditions": [
                        _("Condition %(n)s: give a field, and optionally from and to.")
                        % {"n": number}
                    ]
                }
            )
        try:
            resolve_field(entity, check.get("field"))
        except ValidationError:
            raise ValidationError(
                {
                    "change_conditions": [
                        _("Condition %(n)s: unknown field %(field)s.")
                        % {"n": number, "field": str(check.get("field"))[:60]}
                    ]
                }
            ) from None
        item = {"field": check["field"]}
        for name in ("from", "to"):
            value = check.get(name)
            if value not in (None, ""):
                if not isinstance(value, str | int | bool) or len(str(value)) > 200:
                    raise ValidationError(
                        {
                            "change_conditions": [
                                _("Condition %(n)s: enter one value.") % {"n": number}
                            ]
                        }
                    )
                item[name] = value
        cleaned.append(item)
    return cleaned


def _check_actions(entity, actions) -> list:
    if not isinstance(actions, list) or not actions:
        raise ValidationError({"actions": [_("Add at least one action.")]})
    if len(actions) > MAX_ACTIONS:
        raise ValidationError({"actions": [_("At most %(n)s actions.") % {"n": MAX_ACTIONS}]})
    cleaned = []
    for number, config in enumerate(actions, start=1):
        kind = config.get("type") if isinstance(config, dict) else None
        action = action_for(kind) if isinstance(kind, str) else None
        if action is None:
            raise ValidationError(
                {"actions": [_("Action %(n)s: unknown action type.") % {"n": number}]}
            )
        settings_ = {k: v for k, v in config.items() if k != "type"}
        try:
            cleaned.append({"type": kind, **action.validate(entity, settings_)})
        except ValidationError as error:
            details = "; ".join(
                f"{key}: {' '.join(messages)}" for key, messages in error.message_dict.items()
            )
            raise ValidationError(
                {"actions": [_("Action %(n)s: %(error)s") % {"n": number, "error": details}]}
            ) from None
    return cleaned


def _validated(data: dict, current: Rule | None = None) -> dict:
    """Check every part of a rule against its entity and the registries, naming the field."""
    data = dict(data)
    _parse_json(data)
    key = data.get("entity", getattr(current, "entity", None))
    if key not in list(registry.keys()):
        raise ValidationError({"entity": [_("Choose the kind of record.")]})
    entity = registry.get(key)
    whole = current is None or "entity" in data
    errors = {}

    def run(name, check, *args):
        if whole or name in data or (name == "trigger_config" and "trigger_kind" in data):
            value = data.get(name, getattr(current, name, None))
            try:
                data[name] = check(*args, value)
            except ValidationError as error:
                for field, messages in error.message_dict.items():
                    errors.setdefault(field, []).extend(messages)

    kind = data.get("trigger_kind", getattr(current, "trigger_kind", None))
    run("trigger_config", lambda config: _check_trigger(entity, kind, config))
    run("condition", lambda condition: _check_condition(entity, condition))
    run("change_conditions", lambda checks: _check_changes(entity, checks))
    run("actions", lambda actions: _check_actions(entity, actions))
    if errors:
        raise ValidationError(errors)
    return data


@transaction.atomic
def rule_create(*, actor, data: dict, m2m: dict | None = None) -> Rule:
    """A new rule, checked whole; scheduled triggers start scanning from now."""
    rule = record_create("automation-rules", actor=actor, data=_validated(data), m2m=m2m)
    rule.created_by = actor if getattr(actor, "pk", None) else None
    rule.scanned_until = timezone.now()
    Rule._base_manager.filter(pk=rule.pk).update(
        created_by=rule.created_by, scanned_until=rule.scanned_until
    )
    return rule


@transaction.atomic
def rule_update(rule: Rule, *, actor, data: dict, m2m=None, expected_version=None) -> Rule:
    """Change a rule; the parts that depend on each other are checked together."""
    was_enabled = rule.enabled
    rule = record_update(
        rule, actor=actor, data=_validated(data, rule), m2m=m2m, expected_version=expected_version
    )
    retimed = {"trigger_kind", "trigger_config", "entity"} & set(data)
    if rule.enabled and (not was_enabled or retimed):
        # A rule switched back on, or given a new trigger, does not fire for what came due
        # before: its time window starts now.
        rule.scanned_until = timezone.now()
        Rule._base_manager.filter(pk=rule.pk).update(scanned_until=rule.scanned_until)
    return rule


@transaction.atomic
def rule_delete(rule: Rule, *, actor, expected_version=None) -> None:
    """Delete a rule with its run log; queued runs of it are dropped with it."""
    record_delete(rule, actor=actor, expected_version=expected_version)


def rule_set_enabled(rule: Rule, *, actor, enabled: bool, expected_version=None) -> Rule:
    return rule_update(
        rule, actor=actor, data={"enabled": bool(enabled)}, expected_version=expected_version
    )


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def rule_webhook_regenerate(rule: Rule, *, actor) -> str:
    """A new secret for the rule's incoming webhook; the old address stops working. Returned
    once, stored only hashed."""
    token = secrets.token_urlsafe(32)
    Rule._base_manager.filter(pk=rule.pk).update(webhook_token_hash=hash_token(token))
    from kesher.platform.records.services import write_audit

    write_audit(rule, actor=actor, action="update", changes={WEBHOOK: [None, "••••"]})
    return token


def rule_dry_run(rule: Rule, record) -> dict:
    """Whether the rule's condition holds for ``record`` and what each action would do;
    writes nothing (everything runs in a transaction that is rolled back)."""
    compiled = compile_rule(rule)
    matches = record_matches(rule.entity, record.pk, [compiled])[0]
    steps = []
    with transaction.atomic():
        for index, config in enumerate(rule.actions):
            action = action_for(config.get("type"))
            context = ActionContext(rule=rule, run=None, record=record, index=index)
            settings_ = {k: v for k, v in config.items() if k != "type"}
            try:
                text = action.describe(context, settings_)
                steps.append({"type": config.get("type"), "would": str(text), "error": ""})
            except Exception as error:
                steps.append(
                    {"type": config.get("type"), "would": "", "error": error_message(error)}
                )
        # Describing reads only; rolled back all the same, so a dry run can never write.
        transaction.set_rollback(True)
    return {"matches": matches, "record": str(record), "actions": steps}

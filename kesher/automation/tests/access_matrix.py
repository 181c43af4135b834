"""How the access matrix makes automation rules and task templates, and which answers the
automation pages and API must get (kesher/platform/testing/matrix.py; tests/test_access_matrix.py
imports this). Rules and templates are administrators' by default (no role is granted them)."""

import json

from kesher.activities.models import TaskTemplate
from kesher.activities.task_templates import task_template_create
from kesher.automation.buttons import button_create, button_press
from kesher.automation.models import ButtonJob, Rule, RuleRun
from kesher.automation.services import rule_create, rule_webhook_regenerate
from kesher.automation.wizards import wizard_create
from kesher.platform.testing.matrix import (
    Verb,
    not_allowed,
    permitted,
    public,
    register_records,
    register_route,
    register_setup,
    signed_in,
)

AREA = "automation"
TAG_ACTION = json.dumps([{"type": "add_tag", "tag": "matrix"}])


def _rule_values(world, marker, record):
    return {
        "name": marker,
        "entity": "accounts",
        "enabled": True,
        "order": 10,
        "trigger_kind": "created",
        "trigger_config": "{}",
        "condition": "",
        "change_conditions": "[]",
        "actions": TAG_ACTION,
    }


register_records(
    "automation-rules",
    make=lambda world, side: rule_create(
        actor=world.users["admin"],
        data={
            "name": f"Matrix rule {side}",
            "entity": "accounts",
            "trigger_kind": "updated",
            "actions": [{"type": "add_tag", "tag": "matrix"}],
        },
    ),
    values=_rule_values,
    marker_field="name",
)
register_records(
    "task-templates",
    make=lambda world, side: task_template_create(
        actor=world.users["admin"], data={"name": f"Matrix template {side}", "title": "Call"}
    ),
    values=lambda world, marker, record: {
        "name": marker,
        "title": "Call {{name}}",
        "due_unit": "hours",
        "assignee_rule": TaskTemplate.AssigneeRule.OWNER,
    },
    marker_field="name",
)


@register_setup
def _webhook_rule(world):
    rule = rule_create(
        actor=world.users["admin"],
        data={
            "name": "Matrix webhook",
            "entity": "accounts",
            "trigger_kind": "webhook",
            "actions": [{"type": "add_tag", "tag": "matrix"}],
        },
    )
    world["webhook rule"] = rule
    world["webhook token"] = rule_webhook_regenerate(rule, actor=world.users["admin"])
    world["run"] = RuleRun.objects.create(
        rule=rule,
        entity="accounts",
        record_id=world.record("accounts", "rep1").pk,
        trigger="webhook",
    )


def _rule_named(world, principal, marker):
    return Rule.objects.filter(name=marker).exists()


def _rule_disabled(world, principal, marker):
    return not Rule.objects.get(pk=world["webhook rule"].pk).enabled


def _token_changed(world, principal, marker):
    return Rule.objects.get(pk=world["webhook rule"].pk).webhook_token_hash != (
        world["webhook rule"].webhook_token_hash
    )


def _run_made(world, principal, marker):
    return RuleRun.objects.filter(rule=world["webhook rule"]).count() > 1


def _builder_post(world, marker):
    return {
        "name": marker,
        "trigger_kind": "created",
        "trigger_config": "{}",
        "actions": TAG_ACTION,
    }


VIEW = permitted("automation-rules", "view")
ADD = permitted("automation-rules", "add")
CHANGE = permitted("automation-rules", "change")

register_route("pages", "/automation/", Verb("GET", VIEW))
register_route(
    "pages",
    "/automation/rules/new/?entity=accounts",
    Verb("GET", ADD),
    Verb("POST", ADD, data=_builder_post, writes=_rule_named),
)
register_route(
    "pages", lambda world: f"/automation/rules/{world['webhook rule'].pk}/", Verb("GET", VIEW)
)
register_route(
    "pages",
    lambda world: f"/automation/rules/{world['webhook rule'].pk}/edit/",
    Verb("GET", CHANGE),
    Verb("POST", CHANGE, data=_builder_post, writes=_rule_named),
)
register_route(
    "pages",
    lambda world: f"/automation/rules/{world['webhook rule'].pk}/toggle/",
    Verb("POST", CHANGE, writes=_rule_disabled),
    *(Verb(m, not_allowed()) for m in ("GET", "PUT", "PATCH", "DELETE")),
)
register_route(
    "pages",
    lambda world: f"/automation/rules/{world['webhook rule'].pk}/webhook/",
    Verb("POST", CHANGE, writes=_token_changed),
    *(Verb(m, not_allowed()) for m in ("GET", "PUT", "PATCH", "DELETE")),
)
register_route(
    "api",
    "/api/v1/automation-runs/",
    Verb("GET", VIEW),
    *(Verb(m, not_allowed()) for m in ("POST", "PUT", "PATCH", "DELETE")),
    api=True,
)
register_route(
    "api",
    lambda world: f"/api/v1/automation-runs/{world['run'].pk}/",
    Verb("GET", VIEW),
    *(Verb(m, not_allowed()) for m in ("POST", "PUT", "PATCH", "DELETE")),
    api=True,
)
register_route(
    "api",
    lambda world: f"/api/v1/automation-rules/{world['webhook rule'].pk}/dry-run/",
    Verb(
        "POST",
        VIEW,
        data=lambda world, marker: {"record_id": world.record("accounts", "rep1").pk},
    ),
    *(Verb(m, not_allowed()) for m in ("GET", "PUT", "PATCH", "DELETE")),
    api=True,
)
register_route(
    "api",
    lambda world: f"/api/v1/automation-rules/{world['webhook rule'].pk}/webhook-address/",
    Verb("POST", CHANGE, writes=_token_changed),
    *(Verb(m, not_allowed()) for m in ("GET", "PUT", "PATCH", "DELETE")),
    api=True,
)
register_route(
    "api",
    lambda world: f"/api/v1/automation-hooks/{world['webhook token']}/",
    Verb(
        "POST",
        public,
        data=lambda world, marker: {"record_id": world.record("accounts", "rep1").pk},
        writes=_run_made,
    ),
    *(Verb(m, not_allowed(public)) for m in ("GET", "PUT", "PATCH", "DELETE")),
    api=True,
)


# --- process templates (issue 5 item 6): administrators only ---------------------------------


def _administrators(world, principal):
    from kesher.platform import access
    from kesher.platform.testing.matrix import Outcome

    if not world.signed_in(principal):
        return Outcome.SIGN_IN
    return Outcome.ALLOW if access.is_admin(world.user(principal)) else Outcome.FORBIDDEN


def _onboarding_installed(world, principal, marker):
    from kesher.automation.models import InstalledProcess

    return InstalledProcess.objects.filter(key="customer-onboarding").exists()


INSTALL = "customer-onboarding/install/"
OTHER_VERBS = ("PUT", "PATCH", "DELETE")
register_route("pages", "/automation/processes/", Verb("GET", _administrators))
register_route(
    "pages",
    f"/automation/processes/{INSTALL}",
    Verb("POST", _administrators, writes=_onboarding_installed),
    *(Verb(m, not_allowed()) for m in ("GET", *OTHER_VERBS)),
)
register_route(
    "api",
    "/api/v1/process-templates/",
    Verb("GET", _administrators),
    *(Verb(m, not_allowed()) for m in ("POST", *OTHER_VERBS)),
    api=True,
)
register_route(
    "api",
    f"/api/v1/process-templates/{INSTALL}",
    Verb("POST", _administrators, writes=_onboarding_installed),
    *(Verb(m, not_allowed()) for m in ("GET", *OTHER_VERBS)),
    api=True,
)


# --- buttons and wizards (decision 0108) ------------------------------------------------------
# Defining them is the administrators' (no role is granted the two entities); pressing a button
# takes the right to change its records, using a wizard the right to add every step's records.


STEPS = [{"entity": "accounts", "title_he": "לקוח", "fields": ["name"]}]


def _manual_rule(world):
    """The rule every matrix button runs, made once."""
    try:
        return world["rule"]
    except KeyError:
        world["rule"] = rule_create(
            actor=world.users["admin"],
            data={
                "name": "Matrix manual rule",
                "entity": "accounts",
                "trigger_kind": "manual",
                "actions": [{"type": "add_tag", "tag": "pressed"}],
            },
        )
        return world["rule"]


register_records(
    "automation-buttons",
    make=lambda world, side: button_create(
        actor=world.users["admin"],
        data={
            "label_he": f"Matrix button {side}",
            "entity": "accounts",
            "rule": _manual_rule(world),
        },
    ),
    values=lambda world, marker, record: {
        "label_he": marker,
        "entity": "accounts",
        "rule": _manual_rule(world).pk,
        "on_record": True,
        "on_list": False,
        "condition": "",
        "questions": "[]",
        "enabled": True,
        "order": 10,
    },
    marker_field="label_he",
)
register_records(
    "automation-wizards",
    make=lambda world, side: wizard_create(
        actor=world.users["admin"], data={"name_he": f"Matrix wizard {side}", "steps": STEPS}
    ),
    values=lambda world, marker, record: {
        "name_he": marker,
        "steps": json.dumps(STEPS),
        "enabled": True,
        "order": 10,
    },
    marker_field="name_he",
)


@register_setup
def _buttons(world):
    world["button"] = button_create(
        actor=world.users["admin"],
        data={"label_he": "Matrix press", "entity": "accounts", "rule": _manual_rule(world)},
    )
    world["job"] = button_press(
        world["button"],
        actor=world.users["admin"],
        ids=[world.record("accounts", "rep1").pk],
    )
    world["wizard"] = wizard_create(
        actor=world.users["admin"], data={"name_he": "Matrix steps", "steps": STEPS}
    )


def _pressed(world, principal, marker):
    """The press made a job, and a run only for the record the presser may see."""
    job = ButtonJob.objects.filter(actor=world.user(principal)).order_by("-pk").first()
    if job is None or job.pk == world["job"].pk:
        return False
    account = world.record("accounts", "rep1")
    made = sorted(job.runs.values_list("record_id", flat=True))
    wanted = [account.pk] if world.sees(principal, account) else []
    return True if made == wanted else f"runs for {made}, expected {wanted}"


def _press_data(world, marker):
    return {"ids": [world.record("accounts", "rep1").pk]}


def _account_named(world, principal, marker):
    from kesher.customers.models import Account

    return Account.objects.filter(name=marker).exists()


def _own_job(world, principal):
    from kesher.platform import access
    from kesher.platform.testing.matrix import Outcome

    if not world.signed_in(principal):
        return Outcome.SIGN_IN
    user = world.user(principal)
    return Outcome.ALLOW if access.is_admin(user) else Outcome.NOT_FOUND


PRESS = permitted("accounts", "change")
START = permitted("accounts", "add")
register_route(
    "buttons",
    lambda world: (
        f"/automation/buttons/{world['button'].pk}/press/?ids={world.record('accounts', 'rep1').pk}"
    ),
    Verb("GET", PRESS),
    Verb("POST", PRESS, data=_press_data, writes=_pressed),
    *(Verb(m, not_allowed()) for m in OTHER_VERBS),
)
register_route(
    "buttons",
    lambda world: f"/automation/button-jobs/{world['job'].pk}/",
    Verb("GET", _own_job),
    *(Verb(m, not_allowed()) for m in ("POST", *OTHER_VERBS)),
)
register_route(
    "buttons",
    "/automation/wizards/",
    Verb("GET", signed_in),
    *(Verb(m, not_allowed()) for m in ("POST", *OTHER_VERBS)),
)
register_route(
    "buttons",
    lambda world: f"/automation/wizards/{world['wizard'].pk}/",
    Verb("GET", START),
    Verb(
        "POST",
        START,
        data=lambda world, marker: {"name": marker, "move": "next"},
        writes=_account_named,
    ),
    *(Verb(m, not_allowed()) for m in OTHER_VERBS),
)
register_route(
    "buttons-api",
    "/api/v1/record-buttons/?entity=accounts",
    Verb("GET", signed_in),
    *(Verb(m, not_allowed()) for m in ("POST", *OTHER_VERBS)),
    api=True,
)
register_route(
    "buttons-api",
    lambda world: f"/api/v1/record-buttons/{world['button'].pk}/press/",
    Verb("POST", PRESS, data=_press_data, writes=_pressed),
    *(Verb(m, not_allowed()) for m in ("GET", *OTHER_VERBS)),
    api=True,
)
register_route(
    "buttons-api",
    lambda world: f"/api/v1/button-jobs/{world['job'].pk}/",
    Verb("GET", _own_job),
    *(Verb(m, not_allowed()) for m in ("POST", *OTHER_VERBS)),
    api=True,
)
register_route(
    "buttons-api",
    "/api/v1/record-wizards/",
    Verb("GET", signed_in),
    *(Verb(m, not_allowed()) for m in ("POST", *OTHER_VERBS)),
    api=True,
)
register_route(
    "buttons-api",
    lambda world: f"/api/v1/record-wizards/{world['wizard'].pk}/finish/",
    Verb(
        "POST",
        START,
        data=lambda world, marker: {"steps": [{"name": marker}]},
        writes=_account_named,
    ),
    *(Verb(m, not_allowed()) for m in ("GET", *OTHER_VERBS)),
    api=True,
)

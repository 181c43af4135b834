"""A won deal's project from its template through an automation rule (REQ PR-1; decision 0106):
the project, its phases as sub-projects and its tasks, once per deal and template."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from kesher.activities.models import Task, TaskTemplate
from kesher.activities.task_templates import task_template_create
from kesher.automation.actions import ActionContext, action_for
from kesher.automation.engine import invalidate_rules
from kesher.automation.services import rule_create
from kesher.customers.tests.factories import make_account
from kesher.platform.models import Choice
from kesher.platform.records.services import record_create
from kesher.platform.registry import registry
from kesher.projects.models import Project
from kesher.sales.services import opportunity_move_stage
from kesher.sales.tests.factories import make_opportunity, stage

pytestmark = pytest.mark.django_db


@pytest.fixture
def worker(settings, django_capture_on_commit_callbacks):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    invalidate_rules()
    yield lambda: django_capture_on_commit_callbacks(execute=True)
    invalidate_rules()


def _template(admin):
    kickoff = task_template_create(
        actor=admin,
        data={
            "name": "kick-off",
            "task_type": Choice.objects.get(list_key="task_type", value="call_back"),
            "title": "פגישת פתיחה: {{name}}",
            "assignee_rule": TaskTemplate.AssigneeRule.OWNER,
        },
    )
    return record_create(
        "project-templates",
        actor=admin,
        data={
            "name": "הטמעה",
            "phases": "אפיון\n\nהטמעה\nהדרכה\n",
            "budget_hours": Decimal("120"),
            "billing_mode": Choice.objects.filter(list_key="project_billing_mode").first(),
        },
        m2m={"task_templates": [kickoff]},
    )


def test_a_won_deal_gets_its_project_phases_and_tasks_once(users, worker):
    admin, rep = users["admin"], users["sales_rep"]
    template = _template(admin)
    rule_create(
        actor=admin,
        data={
            "name": "won → project",
            "entity": "opportunities",
            "trigger_kind": "status_entered",
            "trigger_config": {"value": str(stage("won"))},
            "actions": [{"type": "create_project", "template": template.pk}],
        },
    )
    account = make_account(rep, name="מפעלי הצפון")
    with worker():
        deal = make_opportunity(rep, account=account, name="הטמעת CRM", owner=rep)
    with worker():
        deal = opportunity_move_stage(deal, actor=rep, stage=stage("won"))
    project = Project.objects.get(opportunity=deal)
    assert project.name == "הטמעת CRM"
    assert project.account == account
    assert project.owner == rep
    assert project.budget_hours == Decimal("120")
    assert project.template == template
    assert list(project.children.values_list("name", flat=True).order_by("id")) == [
        "אפיון",
        "הטמעה",
        "הדרכה",
    ]
    task = Task.objects.get(link_type="projects", link_id=project.pk)
    assert task.title == "פגישת פתיחה: הטמעת CRM"
    # Once per deal and template: running the action again makes nothing new.
    action = action_for("create_project")
    again = action.run(
        ActionContext(rule=None, run=None, record=deal, index=0), {"template": template.pk}
    )
    assert again["project"] == project.pk
    assert Project.objects.count() == 4


def test_the_action_is_for_deals_and_names_a_template(users):
    admin = users["admin"]
    template = _template(admin)
    action = action_for("create_project")
    assert action.validate(registry.get("opportunities"), {"template": str(template.pk)}) == {
        "template": template.pk
    }
    for entity, config in (
        ("accounts", {"template": template.pk}),
        ("opportunities", {"template": "x"}),
        ("opportunities", {"template": 999999}),
        ("opportunities", {"template": template.pk, "other": 1}),
    ):
        with pytest.raises(ValidationError):
            action.validate(registry.get(entity), config)

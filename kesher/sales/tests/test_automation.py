"""Automation on deals' stages: "stage entered / left" are the status triggers on the stage,
"stage duration exceeded" the time trigger on ``stuck_at`` (REQ SA-5, SA-3; decision 0057)."""

import datetime

import pytest
from django.utils import timezone
from django.utils.translation import override

from kesher.activities.models import Task, TaskTemplate
from kesher.activities.task_templates import task_template_create
from kesher.automation.models import Rule, RuleRun
from kesher.automation.schedule import scan_scheduled
from kesher.automation.services import rule_create
from kesher.automation.worker import process_due
from kesher.platform.models import Choice
from kesher.sales.models import Opportunity
from kesher.sales.services import opportunity_move_stage
from kesher.sales.tests.factories import make_opportunity, stage

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoice_template(users):
    return task_template_create(
        actor=users["admin"],
        data={
            "name": "חשבונית",
            "task_type": Choice.objects.get(list_key="task_type", value="general"),
            "title": "להוציא חשבונית: {{name}}",
            "due_offset": 1,
            "due_unit": "days",
            "assignee_rule": TaskTemplate.AssigneeRule.OWNER,
        },
    )


def _rule(admin, template, **data):
    return rule_create(
        actor=admin,
        data={
            "name": "rule",
            "entity": "opportunities",
            "actions": [{"type": "create_task", "template": template.pk}],
            **data,
        },
    )


@pytest.mark.parametrize("language", ["he", "en"])
def test_work_done_creates_an_invoicing_task(users, worker, invoice_template, language):
    """SA-5's example: the deal enters "done" → a task to invoice, whatever the language of the
    user who moved it."""
    rep = users["sales_rep"]
    _rule(
        users["admin"],
        invoice_template,
        trigger_kind="status_entered",
        trigger_config={"value": str(stage("done").pk)},
    )
    deal = make_opportunity(rep, name="פרויקט הטמעה", stage=stage("in_work"), owner=rep)
    with worker(), override(language):
        opportunity_move_stage(deal, actor=rep, stage=stage("on_hold"))
    assert not Task.objects.exists()
    deal.refresh_from_db()
    with worker(), override(language):
        opportunity_move_stage(deal, actor=rep, stage=stage("done"))
    task = Task.objects.get(link_type="opportunities", link_id=deal.pk)
    assert task.title == "להוציא חשבונית: פרויקט הטמעה"
    assert task.assignee == rep


def test_stage_left_fires_on_leaving(users, worker, invoice_template):
    rep = users["sales_rep"]
    _rule(
        users["admin"],
        invoice_template,
        trigger_kind="status_left",
        trigger_config={"value": str(stage("potential").pk)},
    )
    deal = make_opportunity(rep, stage=stage("potential"), owner=rep)
    with worker():
        opportunity_move_stage(deal, actor=rep, stage=stage("proposal"))
    assert Task.objects.filter(link_id=deal.pk).count() == 1


def _second_pipeline(admin):
    """A second pipeline whose stages have the default pipeline's names ("Proposal", "Done")."""
    from kesher.sales.models import Pipeline, Stage

    pipeline = Pipeline.objects.create(name_he="פרויקטים", name_en="Projects", order=2)
    for source in Stage.objects.filter(pipeline__order=1):
        Stage.objects.create(
            pipeline=pipeline,
            key=source.key,
            name_he=source.name_he,
            name_en=source.name_en,
            order=source.order,
            group=source.group,
            outcome=source.outcome,
        )
    return {s.key: s for s in pipeline.stages.all()}


def test_a_stage_named_like_another_pipelines_fires_only_its_own(users, worker, invoice_template):
    """The default pipeline's "Done" is not "Done" of another pipeline, though both are named
    so: the rule fires on its own stage only, entered or left."""
    rep = users["sales_rep"]
    other = _second_pipeline(users["admin"])
    _rule(
        users["admin"],
        invoice_template,
        trigger_kind="status_entered",
        trigger_config={"value": str(stage("done").pk)},
    )
    _rule(
        users["admin"],
        invoice_template,
        trigger_kind="status_left",
        trigger_config={"value": str(stage("proposal").pk)},
    )
    elsewhere = make_opportunity(rep, stage=other["proposal"], owner=rep)
    with worker():
        opportunity_move_stage(elsewhere, actor=rep, stage=other["done"])
    assert not Task.objects.filter(link_id=elsewhere.pk).exists()
    deal = make_opportunity(rep, stage=stage("proposal"), owner=rep)
    with worker():
        opportunity_move_stage(deal, actor=rep, stage=stage("done"))
    assert Task.objects.filter(link_id=deal.pk).count() == 2  # left "Proposal", entered "Done"


def test_a_move_tells_the_rules_which_stage_without_reading_the_audit(
    users, invoice_template, django_capture_on_commit_callbacks
):
    """The move's event carries the stages' ids beside their names: a rule naming a stage
    whose name another pipeline shares is matched without reading the deal's audit entry; an
    event without them (an older writer) is still matched by the entry."""
    from django.db import connection

    from kesher.automation import engine
    from kesher.platform.events import Event

    rep = users["sales_rep"]
    other = _second_pipeline(users["admin"])
    _rule(
        users["admin"],
        invoice_template,
        trigger_kind="status_entered",
        trigger_config={"value": str(stage("done").pk)},
    )
    deal = make_opportunity(rep, stage=stage("proposal"), owner=rep)
    elsewhere = make_opportunity(rep, stage=other["proposal"], owner=rep)
    statements = []

    def spy(run, sql, *args):
        statements.append(sql)
        return run(sql, *args)

    with connection.execute_wrapper(spy), django_capture_on_commit_callbacks(execute=True):
        opportunity_move_stage(elsewhere, actor=rep, stage=other["done"])
        opportunity_move_stage(deal, actor=rep, stage=stage("done"))
    assert not [sql for sql in statements if "platform_auditentry" in sql and "SELECT" in sql]
    assert list(RuleRun.objects.values_list("record_id", flat=True)) == [deal.pk]
    # Without the ids the audit entry says which stage.
    RuleRun.objects.all().delete()
    name = str(stage("done"))
    for record in (elsewhere, deal):
        with django_capture_on_commit_callbacks(execute=True):
            engine.handle_event(
                Event("updated", "opportunities", record.pk, rep.pk, {"stage": ["x", name]})
            )
    assert list(RuleRun.objects.values_list("record_id", flat=True)) == [deal.pk]


def test_a_stuck_deal_fires_its_rule_once(users, invoice_template):
    """SA-3: "stage duration exceeded" is the time trigger on the moment the deal is stuck;
    one run per stage entry."""
    rep = users["sales_rep"]
    rule = _rule(
        users["admin"],
        invoice_template,
        trigger_kind="time",
        trigger_config={"field": "stuck_at", "offset": 0, "unit": "minutes"},
    )
    deal = make_opportunity(rep, stage=stage("proposal"), owner=rep)
    now = timezone.now()
    Opportunity.objects.filter(pk=deal.pk).update(stuck_at=now - datetime.timedelta(minutes=5))
    Rule.objects.filter(pk=rule.pk).update(scanned_until=now - datetime.timedelta(minutes=10))
    assert scan_scheduled(now) == 1
    Rule.objects.filter(pk=rule.pk).update(scanned_until=now - datetime.timedelta(minutes=10))
    scan_scheduled(now)  # the same window again: its dedupe key keeps it single
    assert RuleRun.objects.filter(rule=rule, record_id=deal.pk).count() == 1
    assert process_due() == 1
    assert Task.objects.filter(link_id=deal.pk).count() == 1

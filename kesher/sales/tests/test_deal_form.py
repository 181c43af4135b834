"""The deal form's stage chosen within a pipeline (a dependent select, REQ SA-2, CX-6), and
when a deal was closed: set when it is won or lost, kept across stages of the same outcome,
cleared when it is reopened, backfilled for deals closed before (``closed_at``)."""

import importlib

import pytest
from django.apps import apps

from kesher.customers.tests.factories import choice
from kesher.platform.records.services import record_create
from kesher.sales.models import Opportunity
from kesher.sales.services import opportunity_move_stage, opportunity_update
from kesher.sales.tests.factories import make_opportunity, stage

pytestmark = pytest.mark.django_db


@pytest.fixture
def projects(users):
    admin = users["admin"]
    pipeline = record_create(
        "pipelines", actor=admin, data={"name_he": "פרויקטים", "name_en": "Projects", "order": 5}
    )
    first = record_create(
        "stages",
        actor=admin,
        data={"pipeline": pipeline, "key": "scoping", "name_he": "אפיון", "group": "open"},
    )
    return pipeline, first


def test_the_stage_select_offers_the_chosen_pipelines_stages(users, client_for, projects):
    pipeline, _scoping = projects
    client = client_for(users["sales_rep"])
    page = client.get("/r/opportunities/new/").content.decode()
    form = page[page.index('name="pipeline"') :]
    assert 'hx-get="/sales/stages/options/"' in page
    assert form.index('name="pipeline"') < form.index('name="stage"')
    stage_select = form[form.index('name="stage"') :]
    stage_select = stage_select[: stage_select.index("</select>")]
    assert "data-dependent" in stage_select
    assert "פוטנציאלי" in stage_select
    assert "אפיון" not in stage_select
    options = client.get("/sales/stages/options/", {"pipeline": pipeline.pk}).content.decode()
    assert "אפיון" in options
    assert "פוטנציאלי" not in options


def test_a_stage_of_another_pipeline_than_the_one_chosen_is_refused(users, client_for, projects):
    pipeline, scoping = projects
    rep = users["sales_rep"]
    data = {"name": "עסקה", "amount": "10", "currency": "ILS", "owner": rep.pk}
    data["forecast_category"] = "pipeline"  # as the form sends its preselected default
    client = client_for(rep)
    refused = client.post(
        "/r/opportunities/new/",
        {**data, "pipeline": stage("potential").pipeline_id, "stage": scoping.pk},
    )
    assert refused.status_code == 200
    assert not Opportunity.objects.exists()
    created = client.post(
        "/r/opportunities/new/", {**data, "pipeline": pipeline.pk, "stage": scoping.pk}
    )
    assert created.status_code == 302
    assert Opportunity.objects.get().stage == scoping
    edit = client.get(f"/r/opportunities/{Opportunity.objects.get().pk}/edit/").content.decode()
    stage_select = edit[edit.index('name="stage"') :]
    assert "אפיון" in stage_select[: stage_select.index("</select>")]
    assert "פוטנציאלי" not in stage_select[: stage_select.index("</select>")]


def test_a_deal_is_closed_when_won_or_lost_and_reopened_clears_it(users):
    rep = users["sales_rep"]
    deal = make_opportunity(rep, owner=rep)
    assert deal.closed_at is None
    won = opportunity_move_stage(deal, actor=rep, stage=stage("won"))
    closed = Opportunity.objects.get(pk=deal.pk).closed_at
    assert closed is not None
    assert closed == won.stage_entered_at
    opportunity_move_stage(Opportunity.objects.get(pk=deal.pk), actor=rep, stage=stage("done"))
    assert Opportunity.objects.get(pk=deal.pk).closed_at == closed  # still won: same moment
    opportunity_update(
        Opportunity.objects.get(pk=deal.pk),
        actor=rep,
        data={"stage": stage("lost"), "lost_reason": choice("lost_reason", "price")},
    )
    lost = Opportunity.objects.get(pk=deal.pk)
    assert lost.closed_at is not None
    assert lost.closed_at > closed
    opportunity_move_stage(lost, actor=rep, stage=stage("proposal"))
    assert Opportunity.objects.get(pk=deal.pk).closed_at is None
    created_won = make_opportunity(rep, stage=stage("won"))
    assert created_won.closed_at == created_won.stage_entered_at


def test_the_migration_backfills_deals_closed_before(users):
    rep = users["sales_rep"]
    won = make_opportunity(rep, stage=stage("in_work"))
    open_deal = make_opportunity(rep)
    Opportunity.objects.update(closed_at=None)
    migration = importlib.import_module("kesher.sales.migrations.0007_opportunity_closed_at")
    migration.backfill(apps, None)
    won.refresh_from_db()
    assert won.closed_at == won.stage_entered_at
    assert Opportunity.objects.get(pk=open_deal.pk).closed_at is None


def test_the_api_shows_when_a_deal_was_closed(users, api_for):
    rep = users["sales_rep"]
    deal = make_opportunity(rep, owner=rep, stage=stage("won"))
    body = api_for(rep).get(f"/api/v1/opportunities/{deal.pk}/").json()
    assert body["closed_at"] is not None

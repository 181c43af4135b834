"""Sales services: the stage groups' one definition of won and lost, the deal's clock, and the
lead's rules (REQ SA-1 … SA-4, MK-6; decision 0057)."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from kesher.customers.tests.factories import choice, make_account
from kesher.platform.models import AuditEntry, FieldRule
from kesher.platform.records.services import record_create, record_update
from kesher.sales.models import Opportunity, Pipeline, Stage
from kesher.sales.services import (
    opportunity_move_stage,
    opportunity_update,
    pipeline_delete,
    stuck_moment,
)
from kesher.sales.tests.factories import make_lead, make_opportunity, stage

pytestmark = pytest.mark.django_db


def test_the_default_pipeline_has_seed_003s_stages_in_three_groups():
    """REQ SA-2: open (potential, proposal, order), execution (won, in work, on hold), closed
    (done, lost)."""
    pipeline = Pipeline.objects.get(order=1)
    rows = list(pipeline.stages.order_by("order").values_list("key", "group", "outcome"))
    assert rows == [
        ("potential", "open", "open"),
        ("proposal", "open", "open"),
        ("order", "open", "open"),
        ("won", "execution", "won"),
        ("in_work", "execution", "won"),
        ("on_hold", "execution", "won"),
        ("done", "closed", "won"),
        ("lost", "closed", "lost"),
    ]
    assert stage("proposal").standard_days == 5  # "a proposal lasts a week" (SA-3)


def test_won_is_an_execution_stage_or_done_and_lost_is_lost(users):
    """Decision 0057: one definition of won and lost, read by every figure."""
    rep = users["sales_rep"]
    deals = {
        key: make_opportunity(rep, stage=stage(key))
        for key in ("proposal", "won", "in_work", "on_hold", "done")
    }
    deals["lost"] = make_opportunity(
        rep, stage=stage("lost"), lost_reason=choice("lost_reason", "price")
    )
    won = set(Opportunity.objects.won().values_list("pk", flat=True))
    assert won == {deals[k].pk for k in ("won", "in_work", "on_hold", "done")}
    assert list(Opportunity.objects.lost()) == [deals["lost"]]
    assert list(Opportunity.objects.open()) == [deals["proposal"]]


def test_a_stage_outcome_must_fit_its_group(users):
    pipeline = Pipeline.objects.get(order=1)
    with pytest.raises(ValidationError) as caught:
        record_create(
            "stages",
            actor=users["admin"],
            data={
                "pipeline": pipeline,
                "key": "x",
                "name_he": "x",
                "group": "execution",
                "outcome": "lost",
            },
        )
    assert "outcome" in caught.value.message_dict
    assert not Stage.objects.filter(key="x").exists()


def test_a_new_deal_starts_its_clock_and_knows_when_it_becomes_stuck(users):
    """REQ SA-3: the stage's standard duration in business days of the default calendar."""
    deal = make_opportunity(users["sales_rep"], stage=stage("proposal"), amount="1000")
    deal.refresh_from_db()
    assert deal.stuck_at == stuck_moment(stage("proposal"), deal.stage_entered_at)
    # Five working days of 9 hours from Sunday 10:00 are next Sunday 10:00 (no Friday, no
    # Saturday).
    zone = ZoneInfo("Asia/Jerusalem")
    entered = datetime.datetime(2026, 11, 1, 10, 0, tzinfo=zone)
    expected = datetime.datetime(2026, 11, 8, 10, 0, tzinfo=zone)
    assert stuck_moment(stage("proposal"), entered) == expected
    assert not deal.is_stuck
    assert deal.weighted_amount == Decimal("400.00")


def test_a_won_deal_is_never_stuck(users):
    deal = make_opportunity(users["sales_rep"], stage=stage("won"))
    deal.refresh_from_db()
    assert deal.stuck_at is None


def test_moving_restarts_the_clock_and_is_audited(users):
    rep = users["sales_rep"]
    deal = make_opportunity(rep, stage=stage("potential"))
    old = timezone.now() - datetime.timedelta(days=30)
    Opportunity.objects.filter(pk=deal.pk).update(stage_entered_at=old, stuck_at=old)
    deal.refresh_from_db()
    assert Opportunity.objects.stuck().filter(pk=deal.pk).exists()
    moved = opportunity_move_stage(deal, actor=rep, stage=stage("proposal"), expected_version=1)
    moved.refresh_from_db()
    assert moved.stage == stage("proposal")
    assert moved.stage_entered_at > old
    assert not Opportunity.objects.stuck().filter(pk=deal.pk).exists()
    entry = AuditEntry.objects.filter(object_id=deal.pk, action="update").latest("id")
    assert "stage" in entry.changes


def test_a_move_writes_the_deal_once_and_no_search_token(users):
    """The new stage, the version and the clock go in one UPDATE of the row read once,
    locked; the stage is no searched field, so the deal's tokens are not written again
    (issue 15 "Performance")."""
    from django.db import connection

    rep = users["sales_rep"]
    deal = make_opportunity(rep, stage=stage("potential"), name="עסקת שלום")
    statements = []

    def spy(run, sql, *args):
        statements.append(sql)
        return run(sql, *args)

    with connection.execute_wrapper(spy):
        moved = opportunity_move_stage(deal, actor=rep, stage=stage("won"), expected_version=1)
    deal_reads = [
        s for s in statements if s.startswith("SELECT") and 'FROM "sales_opportunity"' in s
    ]
    assert len(deal_reads) == 1
    assert len([s for s in statements if s.startswith('UPDATE "sales_opportunity"')]) == 1
    assert not [s for s in statements if "platform_searchtoken" in s]
    stored = Opportunity.objects.get(pk=deal.pk)
    assert (stored.stage, stored.version) == (stage("won"), 2)
    assert stored.closed_at == stored.stage_entered_at == moved.stage_entered_at
    assert stored.stuck_at is None


def test_an_edit_that_keeps_the_stage_keeps_the_clock(users):
    rep = users["sales_rep"]
    deal = make_opportunity(rep)
    entered = Opportunity.objects.get(pk=deal.pk).stage_entered_at
    opportunity_update(deal, actor=rep, data={"amount": "5"})
    assert Opportunity.objects.get(pk=deal.pk).stage_entered_at == entered


def test_a_move_to_another_pipelines_stage_is_refused(users):
    admin = users["admin"]
    other = record_create("pipelines", actor=admin, data={"name_he": "פרויקטים"})
    foreign = record_create(
        "stages",
        actor=admin,
        data={"pipeline": other, "key": "start", "name_he": "התחלה", "group": "open"},
    )
    deal = make_opportunity(users["sales_rep"])
    with pytest.raises(ValidationError) as caught:
        opportunity_move_stage(deal, actor=admin, stage=foreign)
    assert "stage" in caught.value.message_dict
    assert Opportunity.objects.get(pk=deal.pk).stage == stage("potential")


def test_lost_needs_a_lost_reason(users):
    """REQ SA-2: lost reasons as a pick-list; a lost deal says why."""
    rep = users["sales_rep"]
    deal = make_opportunity(rep)
    with pytest.raises(ValidationError) as caught:
        opportunity_move_stage(deal, actor=rep, stage=stage("lost"))
    assert "lost_reason" in caught.value.message_dict
    assert Opportunity.objects.get(pk=deal.pk).stage == stage("potential")
    record_update(deal, actor=rep, data={"lost_reason": choice("lost_reason", "price")})
    deal.refresh_from_db()
    opportunity_move_stage(deal, actor=rep, stage=stage("lost"))
    assert Opportunity.objects.lost().filter(pk=deal.pk).exists()


def test_a_lead_gets_the_default_status_and_needs_a_name(users):
    rep = users["sales_rep"]
    lead = make_lead(rep, company_name="אלפא")
    assert lead.status.value == "new"
    assert lead.owner == rep
    with pytest.raises(ValidationError) as caught:
        make_lead(rep, last_name="", email="x@example.com")
    assert "last_name" in caught.value.message_dict


def test_a_secondary_source_must_belong_to_the_source(users):
    """REQ MK-6: the dependent pick-list."""
    rep = users["sales_rep"]
    ok = make_lead(
        rep,
        source=choice("lead_source", "word_ad"),
        source_detail=choice("lead_source_detail", "google"),
    )
    assert ok.source_detail.value == "google"
    with pytest.raises(ValidationError) as caught:
        make_lead(
            rep,
            source=choice("lead_source", "referral"),
            source_detail=choice("lead_source_detail", "google"),
        )
    assert "source_detail" in caught.value.message_dict


def test_a_deal_on_an_account_is_listed_on_the_accounts_page(users, client_for):
    rep = users["sales_rep"]
    account = make_account(rep, name="בית תוכנה")
    make_opportunity(rep, name="עסקת רישוי", account=account)
    page = client_for(rep).get(f"/r/accounts/{account.pk}/")
    assert "עסקת רישוי" in page.content.decode()


def test_a_stage_holding_deals_is_not_deleted(users, api_for):
    admin = users["admin"]
    deal = make_opportunity(users["sales_rep"], stage=stage("order"))
    answer = api_for(admin, "en").delete(f"/api/v1/stages/{stage('order').pk}/")
    assert answer.status_code == 400
    assert "move them first" in str(answer.json())
    assert Opportunity.objects.get(pk=deal.pk).stage == stage("order")
    pipeline = Pipeline.objects.get(order=1)
    assert api_for(admin).delete(f"/api/v1/pipelines/{pipeline.pk}/").status_code == 400
    assert pipeline.stages.count() == 8


def test_an_empty_pipeline_is_deleted_with_its_stages(users):
    admin = users["admin"]
    other = record_create("pipelines", actor=admin, data={"name_he": "שירות"})
    record_create(
        "stages",
        actor=admin,
        data={"pipeline": other, "key": "start", "name_he": "התחלה", "group": "open"},
    )
    pipeline_delete(other, actor=admin)
    assert not Pipeline.objects.filter(pk=other.pk).exists()
    assert not Stage.objects.filter(pipeline_id=other.pk).exists()


def test_a_bulk_stage_update_restarts_clocks_and_enforces_the_stages_rules(users, api_for):
    """A stage's required fields hold in a bulk update too (issue 15 "Stage rules")."""
    rep = users["sales_rep"]
    deals = [make_opportunity(rep, stage=stage("potential")) for _ in range(2)]
    old = timezone.now() - datetime.timedelta(days=3)
    Opportunity.objects.update(stage_entered_at=old)
    api = api_for(rep, "en")
    body = {"action": "update", "ids": [d.pk for d in deals], "field": "stage"}
    moved = api.post(
        "/api/v1/bulk/opportunities/", {**body, "value": stage("order").pk}, format="json"
    )
    assert moved.status_code in (200, 202), moved.content
    for deal in Opportunity.objects.all():
        assert deal.stage == stage("order")
        assert deal.stage_entered_at > old
        assert deal.stuck_at is not None
    lost = api.post(
        "/api/v1/bulk/opportunities/", {**body, "value": stage("lost").pk}, format="json"
    )
    assert not Opportunity.objects.lost().exists(), lost.content


def test_a_stages_required_fields_are_field_rules_enforced_at_the_move(users, api_for):
    """A field rule "required at these statuses" naming a stage's key is that stage's required
    field, enforced when a deal moves there (issue 15 "Stage rules"; decision 0057)."""
    rep = users["sales_rep"]
    rule = FieldRule(
        entity="opportunities", field="expected_close_date", required_statuses=["order"]
    )
    rule.full_clean()
    rule.save()
    deal = make_opportunity(rep, stage=stage("proposal"))
    with pytest.raises(ValidationError) as caught:
        opportunity_move_stage(deal, actor=rep, stage=stage("order"))
    assert "expected_close_date" in caught.value.message_dict
    answer = api_for(rep, "en").patch(
        f"/api/v1/opportunities/{deal.pk}/", {"stage": stage("order").pk}, format="json"
    )
    assert answer.status_code == 400
    assert "expected_close_date" in answer.json()
    assert Opportunity.objects.get(pk=deal.pk).stage == stage("proposal")
    opportunity_update(
        deal,
        actor=rep,
        data={"stage": stage("order"), "expected_close_date": datetime.date(2026, 12, 31)},
    )
    assert Opportunity.objects.get(pk=deal.pk).stage == stage("order")

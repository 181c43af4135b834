"""A stage's required fields are enforced at the move on every path (issue 15 "Stage rules"):
the deal's page, the API's update and move, the board's drag, a bulk update and an import. The
required field is a field rule "required at these statuses" naming the stage's key (decision
0057); a stuck deal firing its trigger once is test_automation's."""

import pytest

from kesher.imports.tests.helpers import check, run, upload
from kesher.platform.models import FieldRule
from kesher.sales.models import Opportunity
from kesher.sales.tests.factories import make_opportunity, stage

pytestmark = pytest.mark.django_db


@pytest.fixture
def order_needs_a_close_date(db):
    rule = FieldRule(
        entity="opportunities", field="expected_close_date", required_statuses=["order"]
    )
    rule.full_clean()
    rule.save()
    return rule


def _page(users, client_for, api_for, deal):
    rep = users["sales_rep"]
    data = {
        "name": deal.name,
        "pipeline": deal.stage.pipeline_id,
        "stage": stage("order").pk,
        "amount": "10",
        "currency": "ILS",
        "owner": rep.pk,
        "version": deal.version,
    }
    answer = client_for(rep).post(f"/r/opportunities/{deal.pk}/edit/", data)
    assert answer.status_code == 200  # the form again, with the error
    return answer.content.decode()


def _api_update(users, client_for, api_for, deal):
    answer = api_for(users["sales_rep"], "en").patch(
        f"/api/v1/opportunities/{deal.pk}/", {"stage": stage("order").pk}, format="json"
    )
    assert answer.status_code == 400
    return str(answer.json())


def _api_move(users, client_for, api_for, deal):
    answer = api_for(users["sales_rep"], "en").post(
        f"/api/v1/opportunities/{deal.pk}/move/", {"stage": stage("order").pk}, format="json"
    )
    assert answer.status_code == 400
    return str(answer.json())


def _board(users, client_for, api_for, deal):
    answer = client_for(users["sales_rep"]).post(
        f"/sales/board/move/{deal.pk}/",
        {"stage": stage("order").pk, "version": deal.version},
        HTTP_HX_REQUEST="true",
    )
    html = answer.content.decode()
    assert 'id="board-error"' in html
    return html


def _bulk(users, client_for, api_for, deal):
    answer = api_for(users["sales_rep"], "en").post(
        "/api/v1/bulk/opportunities/",
        {"action": "update", "ids": [deal.pk], "field": "stage", "value": stage("order").pk},
        format="json",
    )
    return answer.content.decode()


def _import(users, client_for, api_for, deal):
    admin = users["admin"]
    rows = [["name", "stage"], ["עסקה מיובאת", "order"]]
    job = upload(admin, rows, entity="opportunities")
    mapping = {
        "columns": {"0": {"field": "name"}, "1": {"field": "stage"}},
        **{k: v for k, v in job.mapping.items() if k != "columns"},
        "skip_invalid": True,
    }
    job = check(job, admin, mapping=mapping)
    assert job.invalid == 1
    job = run(job, admin)
    assert job.created == 0
    assert not Opportunity.objects.filter(name="עסקה מיובאת").exists()
    return " ".join(i.message for i in job.issues.all())


@pytest.mark.parametrize(
    "path", [_page, _api_update, _api_move, _board, _bulk, _import], ids=lambda f: f.__name__
)
def test_a_stages_required_field_is_enforced_on_every_path(
    users, client_for, api_for, order_needs_a_close_date, path
):
    rep = users["sales_rep"]
    deal = make_opportunity(rep, owner=rep, stage=stage("proposal"))
    said = path(users, client_for, api_for, deal)
    assert Opportunity.objects.get(pk=deal.pk).stage == stage("proposal")
    if path is not _bulk:  # a bulk job reports per record, asynchronously
        assert "expected_close_date" in said or "close date" in said or "סגירה" in said

"""Gauge against a target and area charts (issue 21 "Report builder": "… area, … KPI number
with comparison to the previous period, gauge against a target")."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from kesher.reports import charts, engine
from kesher.reports.views import result_context
from kesher.sales.tests.factories import make_opportunity

pytestmark = pytest.mark.django_db


@pytest.fixture
def deals(users):
    for i, owner in enumerate([users["sales_rep"], users["sales_rep"], users["sales_rep2"]]):
        make_opportunity(users["admin"], name=f"עסקה {i}", owner=owner, amount=Decimal(250))


GAUGE = {
    "entity": "opportunities",
    "measures": [{"agg": "sum", "field": "amount"}],
    "display": "chart",
    "chart": "gauge",
    "target": 1000,
}


def test_a_gauge_shows_the_share_of_its_target_for_each_reader(deals, users):
    admin = engine.run(engine.parse(GAUGE, users["admin"]), users["admin"])
    context = result_context(admin, "יעד", "chart-1")
    (figure,) = context["kpi"]
    assert figure["share"] == 75
    assert figure["target"] == "₪1,000.00"
    series = context["option"]["series"][0]
    assert series["type"] == "gauge"
    assert series["max"] == 1000.0
    assert series["data"][0]["value"] == 750.0
    assert series["detail"]["formatter"] == "75%"
    rep = engine.run(engine.parse(GAUGE, users["sales_rep"]), users["sales_rep"])
    assert result_context(rep, "יעד", "chart-1")["kpi"][0]["share"] == 50  # his two deals
    # Past the target, the arc reaches the figure.
    over = engine.run(engine.parse({**GAUGE, "target": "500"}, users["admin"]), users["admin"])
    assert charts.option_for(over)["series"][0]["max"] == 750.0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"target": None}, "target"),
        ({"target": -5}, "target"),
        ({"target": "lots"}, "target"),
        ({"target": True}, "target"),
        ({"group_by": [{"field": "owner"}]}, "chart"),
    ],
)
def test_gauge_refusals(users, change, field):
    with pytest.raises(ValidationError) as error:
        engine.parse({**GAUGE, **change}, users["admin"])
    assert field in error.value.message_dict


def test_an_area_chart_stacks_its_series(deals, users):
    definition = {
        "entity": "opportunities",
        "group_by": [{"field": "created_at", "bucket": "month"}, {"field": "owner"}],
        "measures": [{"agg": "sum", "field": "amount"}],
        "display": "chart",
        "chart": "area",
    }
    result = engine.run(engine.parse(definition, users["admin"]), users["admin"])
    option = charts.option_for(result)
    assert {s["type"] for s in option["series"]} == {"line"}
    assert all(s["stack"] == "all" and "areaStyle" in s for s in option["series"])


def test_the_builder_saves_a_gauge(deals, users, client_for):
    client = client_for(users["admin"])
    params = {
        "entity": "opportunities",
        "m1a": "sum",
        "m1f": "amount",
        "display": "chart",
        "chart": "gauge",
        "target": "1000",
    }
    page = client.get("/reports/build/", {**params, "preview": "1"}).content.decode()
    assert "report-gauge" in page
    assert "75%" in page
    refused = client.get("/reports/build/", {**params, "target": "", "preview": "1"})
    assert refused.status_code == 400
    assert "יעד" in refused.content.decode()


def test_a_gauge_as_pdf_and_csv(deals, users, client_for):
    from kesher.reports.services import report_create

    report = report_create(actor=users["admin"], data={"name": "יעד", "definition": GAUGE})
    client = client_for(users["admin"])
    pdf = client.get(f"/reports/{report.pk}/export/pdf/")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    text = client.get(f"/reports/{report.pk}/export/csv/").content.decode("utf-8-sig")
    assert text.splitlines()[1:] == ["750.0"]


# --- a gauge against the sales targets (decision 0103) ----------------------------------------

FROM_TARGETS = {
    "entity": "opportunities",
    "filter": {"field": "stage.outcome", "op": "eq", "value": "won"},
    "measures": [{"agg": "sum", "field": "amount"}],
    "period": {"field": "closed_at", "period": "this_month"},
    "display": "chart",
    "chart": "gauge",
    "target": {"sales_target": "amount", "level": "person"},
}


@pytest.fixture
def targets(users, departments):
    from django.utils import timezone

    from kesher.platform.records.services import record_create
    from kesher.sales.tests.factories import stage

    first = timezone.localdate().replace(day=1)
    made = {}
    for key, data in (
        ("rep1", {"level": "person", "user": users["sales_rep"], "amount": "1000"}),
        ("rep2", {"level": "person", "user": users["sales_rep2"], "amount": "4000"}),
        ("sales", {"level": "department", "department": departments["sales"], "amount": "8000"}),
        ("company", {"level": "company", "amount": "20000", "count": 10}),
        # Another month's: never read.
        ("last_year", {"level": "company", "amount": "1", "starts_on": first.replace(year=2020)}),
    ):
        made[key] = record_create(
            "sales-targets",
            actor=users["admin"],
            data={"period": "month", "starts_on": first, **data},
        )
    for owner in (users["sales_rep"], users["sales_rep"], users["sales_rep2"]):
        make_opportunity(users["admin"], owner=owner, amount=Decimal(250), stage=stage("won"))
    return made


def _gauge_for(user, **target):
    definition = {**FROM_TARGETS, "target": {**FROM_TARGETS["target"], **target}}
    return result_context(engine.run(engine.parse(definition, user), user), "יעד", "chart-1")


def test_a_gauges_target_is_the_readers_sales_target_holding_today(users, targets):
    rep = _gauge_for(users["sales_rep"])
    assert rep["kpi"][0]["target"] == "₪1,000.00"
    assert rep["kpi"][0]["share"] == 50  # his two deals of 250
    assert rep["option"]["series"][0]["max"] == 1000.0
    assert _gauge_for(users["sales_rep2"])["kpi"][0]["share"] == 6  # 250 of 4,000
    # The manager's department (Sales): its target, against the deals of his subtree (rep1's).
    manager = _gauge_for(users["manager"], level="department")
    assert manager["kpi"][0]["target"] == "₪8,000.00"
    admin = _gauge_for(users["admin"], level="company")
    assert admin["kpi"][0]["target"] == "₪20,000.00"
    assert admin["kpi"][0]["share"] == 4  # 750 of 20,000
    count = engine.parse(
        {**FROM_TARGETS, "target": {"sales_target": "count", "level": "company"}}, users["admin"]
    )
    assert count.target == Decimal(10)


def test_without_a_target_today_the_gauge_shows_its_figure_and_says_so(users, targets):
    # rep1 has no department target of his own department (North) this month.
    context = _gauge_for(users["sales_rep"], level="department")
    assert context["kpi"][0]["no_target"]
    assert context["kpi"][0]["target"] == ""
    assert context["option"] is None
    # Whoever may not see sales targets gets no target either (not an error).
    support = _gauge_for(users["support_agent"], level="company")
    assert support["kpi"][0]["no_target"]


@pytest.mark.parametrize(
    "change",
    [
        {"target": {"sales_target": "amount"}},
        {"target": {"sales_target": "margin", "level": "person"}},
        {"target": {"sales_target": "amount", "level": "region"}},
        {"period": None},
        {"period": {"field": "closed_at", "period": "this_week"}},
    ],
)
def test_a_target_from_the_sales_targets_is_checked(users, change):
    definition = {k: v for k, v in {**FROM_TARGETS, **change}.items() if v is not None}
    with pytest.raises(ValidationError) as error:
        engine.parse(definition, users["admin"])
    assert "target" in error.value.message_dict


def test_the_builder_keeps_the_choice_of_the_sales_target(users, client_for):
    from kesher.reports import builder

    params = {
        "entity": "opportunities",
        "m0": "sum",
        "m0f": "amount",
        "display": "chart",
        "chart": "gauge",
        "period": "this_month",
        "period_field": "closed_at",
        "target_from": "department:amount",
    }
    definition = builder.definition_from(params, "opportunities")
    assert definition["target"] == {"sales_target": "amount", "level": "department"}
    assert builder.form_values(definition)["target_from"] == "department:amount"
    page = client_for(users["manager"]).get("/reports/build/", {**params, "preview": "1"})
    assert page.status_code == 200
    assert 'value="department:amount" selected' in page.content.decode()

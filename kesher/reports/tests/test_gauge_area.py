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

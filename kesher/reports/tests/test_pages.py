"""The report pages (REQ CX-8, RE-4; decision 0071): the builder previews and saves, a saved
report shows its chart option, pivot or KPI with a table and drill-down links, dashboards load
their widgets by themselves, and everything reads only what the reader may see."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from kesher.reports.models import Dashboard, Report
from kesher.reports.services import report_create
from kesher.sales.tests.factories import make_opportunity

pytestmark = pytest.mark.django_db


@pytest.fixture
def deals(users):
    made = []
    for i, owner in enumerate(
        [users["sales_rep"], users["sales_rep"], users["sales_rep2"], users["manager"]]
    ):
        made.append(
            make_opportunity(
                users["admin"], name=f"עסקה {i}", owner=owner, amount=Decimal(100 * (i + 1))
            )
        )
    return made


def _report(user, **definition):
    definition.setdefault("entity", "opportunities")
    return report_create(actor=user, data={"name": "בדיקה", "definition": definition})


def test_the_builder_previews_then_saves(users, deals, client_for):
    client = client_for(users["admin"])
    params = {
        "entity": "opportunities",
        "g1": "owner",
        "m1a": "sum",
        "m1f": "amount",
        "display": "chart",
        "chart": "bar",
    }
    page = client.get("/reports/build/", {**params, "preview": "1"})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-chart="chart-preview"' in html
    assert "report-table" in html
    response = client.post(
        "/reports/build/", {**params, "name": "הכנסות לפי בעלים", "shared_roles": []}
    )
    assert response.status_code == 302
    report = Report.objects.get(name="הכנסות לפי בעלים")
    assert report.definition["group_by"] == [{"field": "owner"}]
    assert report.version == 1
    assert report.owner == users["admin"]


def test_bad_input_is_a_translated_400_and_nothing_is_saved(users, client_for):
    client = client_for(users["admin"])
    response = client.post(
        "/reports/build/", {"entity": "opportunities", "g1": "nope", "name": "x", "m1a": "count"}
    )
    assert response.status_code == 400
    assert "שדה לא מוכר" in response.content.decode()
    assert not Report.objects.filter(name="x").exists()


def test_a_rep_reads_only_his_records_in_a_shared_report(users, deals, client_for):
    report = _report(users["admin"], group_by=[{"field": "owner"}], display="table")
    report.shared_roles.set([users["sales_rep"].role])
    page = client_for(users["sales_rep"]).get(f"/reports/{report.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "rep1" in html
    assert "rep2" not in html
    assert "manager1" not in html
    # Not shared with the second rep's role? It is the same role: he reads his own.
    other = client_for(users["sales_rep2"]).get(f"/reports/{report.pk}/")
    assert "rep2" in other.content.decode()
    assert "rep1" not in other.content.decode()


def test_a_shared_report_is_read_not_changed(users, deals, client_for, api_for):
    report = _report(users["admin"], group_by=[{"field": "owner"}])
    report.shared_roles.set([users["sales_rep"].role])
    rep = users["sales_rep"]
    page = client_for(rep).get(f"/reports/{report.pk}/").content.decode()
    assert 'id="report-edit"' not in page
    assert client_for(rep).get(f"/reports/{report.pk}/edit/").status_code == 403
    api = api_for(rep)
    response = api.patch(f"/api/v1/reports/{report.pk}/", {"name": "שלי"}, format="json")
    assert response.status_code == 400
    assert api.delete(f"/api/v1/reports/{report.pk}/").status_code == 400
    report.refresh_from_db()
    assert report.name == "בדיקה"


def test_an_unshared_report_is_not_found(users, deals, client_for):
    report = _report(users["admin"], group_by=[{"field": "owner"}])
    assert client_for(users["sales_rep"]).get(f"/reports/{report.pk}/").status_code == 404


def test_pivot_and_kpi_pages(users, deals, client_for):
    client = client_for(users["admin"])
    pivot = _report(
        users["admin"], group_by=[{"field": "stage"}, {"field": "owner"}], display="pivot"
    )
    html = client.get(f"/reports/{pivot.pk}/").content.decode()
    assert "report-pivot" in html
    assert 'data-drill="cell"' in html
    kpi = _report(
        users["admin"],
        measures=[{"agg": "sum", "field": "amount"}],
        period={"field": "created_at", "period": "this_month"},
        display="chart",
        chart="kpi",
    )
    html = client.get(f"/reports/{kpi.pk}/").content.decode()
    assert "kpi-value" in html
    assert "₪" in html


def test_the_filter_bar_narrows_to_mine(users, deals, client_for):
    report = _report(users["manager"], group_by=[{"field": "owner"}])
    html = (
        client_for(users["manager"])
        .get(f"/reports/{report.pk}/", {"owner": "me", "period": "this_month"})
        .content.decode()
    )
    assert "manager1" in html
    assert "rep1" not in html


def test_dashboards_load_each_widget_by_itself(users, deals, client_for):
    # The manager's role has a default dashboard (migration 0002) of built-in reports.
    client = client_for(users["manager"])
    page = client.get("/dashboards/", {"period": "this_year"})
    assert page.status_code == 200
    html = page.content.decode()
    dashboard = Dashboard.objects.get(role=users["manager"].role)
    assert dashboard.name in html
    assert html.count('hx-trigger="load"') == len(dashboard.widgets)
    for widget in dashboard.widgets:
        if widget.get("kind") == "targets":  # the sales targets (test_dashboards.py)
            assert client.get("/dashboards/targets/").status_code == 200
            continue
        response = client.get(f"/reports/{widget['report']}/widget/", {"period": "this_year"})
        assert response.status_code == 200
        assert "alert-danger" not in response.content.decode()


def test_built_in_reports_run_for_every_role(users, client_for):
    for who in ("admin", "manager", "sales_rep", "support_agent", "read_only"):
        client = client_for(users[who])
        for report in Report.objects.visible_to(users[who]):
            response = client.get(f"/reports/{report.pk}/")
            assert response.status_code == 200, (who, report.name, response.content.decode()[:2000])


def test_the_api_runs_a_definition(users, deals, api_for):
    definition = {
        "entity": "opportunities",
        "group_by": [{"field": "owner"}],
        "measures": [{"agg": "count"}],
    }
    response = api_for(users["sales_rep"]).post(
        "/api/v1/report-runs/", {"definition": definition}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert [r["figures"] for r in body["rows"]] == [[2]]
    assert body["rows"][0]["drill"].startswith("/r/opportunities/?filter=")
    bad = api_for(users["sales_rep"]).post(
        "/api/v1/report-runs/",
        {"definition": {**definition, "measures": [{"agg": "nope"}]}},
        format="json",
    )
    assert bad.status_code == 400
    assert "measures" in json.dumps(bad.json())


def test_the_api_reads_a_saved_report_and_defines_one(users, deals, api_for):
    api = api_for(users["admin"])
    created = api.post(
        "/api/v1/reports/",
        {
            "name": "API",
            "entity": "opportunities",
            "definition": {"group_by": [{"field": "owner"}]},
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    result = api.get(f"/api/v1/reports/{pk}/result/", {"owner": "me"})
    assert result.status_code == 200
    assert result.json()["rows"] == []
    refused = api.post(
        "/api/v1/reports/",
        {"name": "bad", "entity": "opportunities", "definition": {"group_by": [{"field": "x"}]}},
        format="json",
    )
    assert refused.status_code == 400

"""The demo's reports and dashboards (issue 21): the sales VP's dashboard and the service
manager's report run with real figures, and a rep reading a shared report sees his own."""

import pytest
from django.test import Client

from kesher.org.models import User
from kesher.reports import engine
from kesher.reports.models import Dashboard, Report
from kesher.sales.models import Opportunity

pytestmark = pytest.mark.django_db


def test_the_demo_dashboards_show_figures(loaded):
    moshe = User.objects.get(username="moshe")
    dashboard = Dashboard.objects.get(owner=moshe)
    client = Client()
    client.force_login(moshe)
    page = client.get("/dashboards/").content.decode()
    assert dashboard.name in page
    for widget in dashboard.widgets:
        response = client.get(f"/reports/{widget['report']}/widget/")
        assert response.status_code == 200
        assert "alert-danger" not in response.content.decode()
    assert Report.objects.filter(owner__username="yael").exists()


def test_a_rep_reads_the_shared_pipeline_as_his_own(loaded):
    rep = User.objects.filter(role__key="sales_rep", is_active=True).first()
    report = Report.objects.get(name="צנרת לפי איש מכירות")
    assert Report.objects.visible_to(rep).filter(pk=report.pk).exists()
    result = engine.run(engine.parse(report.definition, rep), rep)
    assert {row.groups[0].value for row in result.rows} <= {rep.pk}
    mine = Opportunity.objects.visible_to(rep).filter(stage__outcome="open").count()
    assert sum(row.figures[1] for row in result.rows) == mine

"""Dashboards (issue 21 "Dashboards"): a report is put on a dashboard from its page and taken
off it from the dashboard, only on dashboards the reader may change; the shared filter bar
narrows every widget by period, owner, department, region and company — never widening what
the reader sees."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from kesher.customers.services import account_create
from kesher.org.models import Region, Role
from kesher.reports import builder, engine
from kesher.reports.models import Dashboard
from kesher.reports.services import (
    dashboard_add_widget,
    dashboard_create,
    dashboard_remove_widget,
    report_create,
)
from kesher.sales.models import Opportunity
from kesher.sales.tests.factories import make_opportunity

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(users):
    for i, owner in enumerate([users["sales_rep"], users["sales_rep2"], users["manager"]]):
        make_opportunity(users["admin"], name=f"עסקה {i}", owner=owner, amount=Decimal(100))
    return report_create(
        actor=users["admin"],
        data={
            "name": "עסקאות לפי בעלים",
            "definition": {"entity": "opportunities", "group_by": [{"field": "owner"}]},
        },
        m2m={"shared_roles": list(Role.objects.all())},
    )


def test_added_from_the_report_s_page_and_removed(report, users, client_for):
    client = client_for(users["manager"])
    page = client.get(f"/reports/{report.pk}/")
    assert 'id="report-add-to-dashboard"' in page.content.decode()
    answer = client.post(
        f"/reports/{report.pk}/add-to-dashboard/", {"dashboard": "new", "width": "12"}
    )
    assert answer.status_code == 302
    mine = Dashboard.objects.get(owner=users["manager"])
    assert mine.widgets == [{"report": report.pk, "width": 12}]
    assert client.get(answer["Location"]).status_code == 200
    client.post(f"/reports/{report.pk}/add-to-dashboard/", {"dashboard": mine.pk, "width": "4"})
    mine.refresh_from_db()
    assert [w["width"] for w in mine.widgets] == [12, 4]
    assert mine.version == 2
    shown = client.get(f"/dashboards/{mine.pk}/").content.decode()
    assert shown.count("widget-remove") == 2
    assert client.post(f"/dashboards/{mine.pk}/widgets/0/remove/").status_code == 302
    mine.refresh_from_db()
    assert mine.widgets == [{"report": report.pk, "width": 4}]


def test_only_on_dashboards_the_reader_may_change(report, users, client_for):
    role_dashboard = dashboard_create(
        actor=users["admin"],
        data={"name": "לוח המכירות", "role": users["sales_rep"].role},
    )
    rep = client_for(users["sales_rep"])
    # He reads his role's dashboard but may not change it: no remove button, no adding to it.
    assert "widget-remove" not in rep.get(f"/dashboards/{role_dashboard.pk}/").content.decode()
    answer = rep.post(
        f"/reports/{report.pk}/add-to-dashboard/",
        {"dashboard": role_dashboard.pk, "width": "6"},
        follow=True,
    )
    assert "בחרו אחד מלוחות המחוונים שלכם" in answer.content.decode()
    role_dashboard.refresh_from_db()
    assert role_dashboard.widgets == []
    assert role_dashboard.version == 1
    assert rep.post(f"/dashboards/{role_dashboard.pk}/widgets/0/remove/").status_code == 404
    # The administrator puts it on the role's dashboard.
    dashboard_add_widget(role_dashboard, actor=users["admin"], report=report, width=6)
    role_dashboard.refresh_from_db()
    assert role_dashboard.widgets == [{"report": report.pk, "width": 6}]


def test_refusals_write_nothing(report, users):
    mine = dashboard_create(actor=users["manager"], data={"name": "שלי"})
    with pytest.raises(ValidationError, match="3, 4, 6, 8"):
        dashboard_add_widget(mine, actor=users["manager"], report=report, width=5)
    with pytest.raises(ValidationError) as error:
        dashboard_remove_widget(mine, actor=users["manager"], index=3)
    assert "widgets" in error.value.message_dict
    mine.refresh_from_db()
    assert mine.widgets == []
    assert mine.version == 1
    private = report_create(
        actor=users["admin"], data={"name": "פרטי", "definition": {"entity": "opportunities"}}
    )
    with pytest.raises(ValidationError):
        dashboard_add_widget(mine, actor=users["manager"], report=private)
    mine.refresh_from_db()
    assert mine.widgets == []


def _owners(report, user, params) -> dict:
    parsed = engine.parse(report.definition, user)
    runtime = builder.runtime_filter(params, report.definition, parsed.entity, user)
    result = engine.run(parsed, user, runtime)
    return {row.groups[0].label: row.figures[0] for row in result.rows}


def test_the_filter_bar_narrows_by_department_and_region(report, users, departments):
    admin = users["admin"]
    assert set(_owners(report, admin, {})) == {"rep1", "rep2", "manager1"}
    north = str(departments["north"].pk)
    assert _owners(report, admin, {"department": north}) == {"rep1": 1}
    # A department counts its sub-departments: Sales holds Sales North (decision 0103).
    sales = str(departments["sales"].pk)
    assert _owners(report, admin, {"department": sales}) == {"rep1": 1, "manager1": 1}
    region = Region.objects.order_by("pk").first()
    account = account_create(actor=admin, data={"name": "לקוח בצפון", "region": region})
    Opportunity.objects.filter(name="עסקה 1").update(account=account)
    assert _owners(report, admin, {"region": str(region.pk)}) == {"rep2": 1}
    # Narrowing never widens: the rep asks for another department and sees nothing of it.
    assert _owners(report, users["sales_rep"], {"department": north}) == {"rep1": 1}
    service = str(departments["service"].pk)
    assert _owners(report, users["sales_rep"], {"department": service}) == {}
    with pytest.raises(ValidationError):
        builder.runtime_filter(
            {"region": "north"}, report.definition, engine.parse(report.definition, admin).entity
        )


def test_the_bar_offers_what_the_entity_has(report, users, client_for):
    page = client_for(users["admin"]).get(f"/reports/{report.pk}/").content.decode()
    assert 'id="filter-department"' in page
    assert 'id="filter-region"' in page
    assert 'id="filter-company"' not in page  # a deal belongs to no company of ours
    board = dashboard_create(
        actor=users["admin"], data={"name": "לוח", "widgets": [{"report": report.pk}]}
    )
    shown = client_for(users["admin"]).get(f"/dashboards/{board.pk}/", {"department": "1"})
    assert f"/reports/{report.pk}/widget/?department=1" in shown.content.decode()


def test_targets_against_actual_on_the_role_dashboards(users, client_for):
    from kesher.platform.records.services import record_create
    from kesher.sales.tests.factories import stage

    today = timezone.localdate()
    for user, amount in ((users["sales_rep"], "1000"), (users["sales_rep2"], "4000")):
        record_create(
            "sales-targets",
            actor=users["admin"],
            data={
                "period": "month",
                "starts_on": today.replace(day=1),
                "level": "person",
                "user": user,
                "amount": amount,
            },
        )
    make_opportunity(
        users["admin"],
        name="נסגרה",
        owner=users["sales_rep"],
        amount=Decimal(250),
        stage=stage("won"),
        expected_close_date=today,
    )
    sales = Dashboard.objects.get(role__key="sales_rep")
    assert sales.widgets[0] == {"kind": "targets", "width": 12}
    rep = client_for(users["sales_rep"])
    assert "dashboards/targets/" in rep.get(f"/dashboards/{sales.pk}/").content.decode()
    widget = rep.get("/dashboards/targets/").content.decode()
    assert widget.count("data-target=") == 1  # his own target, not rep2's
    assert "25%" in widget
    manager = client_for(users["manager"]).get("/dashboards/targets/").content.decode()
    assert manager.count("data-target=") == 1  # his department (north): rep1's only
    assert client_for(users["support_agent"]).get("/dashboards/targets/").status_code == 403


def test_a_widget_kind_is_checked(users):
    with pytest.raises(ValidationError):
        dashboard_create(actor=users["admin"], data={"name": "x", "widgets": [{"kind": "weather"}]})
    board = dashboard_create(
        actor=users["admin"], data={"name": "y", "widgets": [{"kind": "targets", "width": 4}]}
    )
    assert board.widgets == [{"kind": "targets", "width": 4}]


# --- list widgets (decision 0103) -------------------------------------------------------------


def test_a_list_widget_shows_a_saved_views_first_records_as_its_reader_sees_them(users, client_for):
    from kesher.customers.tests.factories import make_account
    from kesher.platform.models import SavedView

    for i, owner in enumerate([users["sales_rep"], users["sales_rep"], users["sales_rep2"]]):
        make_account(owner, name=f"לקוח רשימה {i}", city="חיפה" if i else "אילת")
    view = SavedView.objects.create(
        entity="accounts",
        name="לקוחות בחיפה",
        owner=users["admin"],
        shared=True,
        filter={"field": "city", "op": "eq", "value": "חיפה"},
        columns=["name", "city", "owner", "tags"],
        sort="name",
    )
    board = dashboard_create(
        actor=users["admin"],
        data={"name": "לוח רשימות", "widgets": [{"kind": "list", "view": view.pk, "width": 6}]},
    )
    assert board.widgets == [{"kind": "list", "view": view.pk, "width": 6}]
    page = client_for(users["admin"]).get(f"/dashboards/{board.pk}/").content.decode()
    assert f"/dashboards/list/{view.pk}/" in page
    admin = client_for(users["admin"]).get(f"/dashboards/list/{view.pk}/").content.decode()
    assert "לקוח רשימה 1" in admin
    assert "לקוח רשימה 2" in admin
    assert "לקוח רשימה 0" not in admin  # not in Haifa
    assert f"/r/accounts/?view={view.pk}" in admin
    # rep1 sees his own account only, through the same view.
    rep = client_for(users["sales_rep"]).get(f"/dashboards/list/{view.pk}/").content.decode()
    assert "לקוח רשימה 1" in rep
    assert "לקוח רשימה 2" not in rep
    # A view the reader may not read is no widget of his; nor one he never could.
    private = SavedView.objects.create(entity="accounts", name="שלי", owner=users["admin"])
    assert client_for(users["sales_rep"]).get(f"/dashboards/list/{private.pk}/").status_code == 404
    with pytest.raises(ValidationError):
        dashboard_create(
            actor=users["sales_rep"],
            data={"name": "x", "widgets": [{"kind": "list", "view": private.pk}]},
        )
    with pytest.raises(ValidationError):
        dashboard_create(
            actor=users["admin"], data={"name": "y", "widgets": [{"kind": "list", "view": "1"}]}
        )

"""The quarter's forecast by owner: open, weighted by the stage's probability, and won, by
decision 0057's one definition; scoped to the reader; one grouped query (REQ SA-7, OR-3)."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kesher.customers.tests.factories import choice
from kesher.sales.selectors import forecast, parse_quarter, quarter_bounds
from kesher.sales.tests.factories import make_opportunity, stage

pytestmark = pytest.mark.django_db

IN_Q4 = datetime.date(2026, 11, 15)


def _deals(users):
    rep, other = users["sales_rep"], users["sales_rep2"]
    make_opportunity(
        rep, owner=rep, stage=stage("proposal"), amount="1000", expected_close_date=IN_Q4
    )
    make_opportunity(rep, owner=rep, stage=stage("order"), amount="500", expected_close_date=IN_Q4)
    make_opportunity(rep, owner=rep, stage=stage("done"), amount="300", expected_close_date=IN_Q4)
    make_opportunity(
        rep,
        owner=rep,
        stage=stage("lost"),
        amount="999",
        expected_close_date=IN_Q4,
        lost_reason=choice("lost_reason", "price"),
    )
    make_opportunity(
        rep,
        owner=rep,
        stage=stage("proposal"),
        amount="7000",
        expected_close_date=datetime.date(2027, 1, 1),
    )
    make_opportunity(
        other, owner=other, stage=stage("potential"), amount="2000", expected_close_date=IN_Q4
    )


def test_quarters_are_parsed_and_bounded():
    assert parse_quarter("2026-q4") == (2026, 4)
    assert quarter_bounds(2026, 4) == (datetime.date(2026, 10, 1), datetime.date(2027, 1, 1))
    assert quarter_bounds(2026, 1) == (datetime.date(2026, 1, 1), datetime.date(2026, 4, 1))
    assert parse_quarter("nonsense") == parse_quarter(None)


def test_weighted_open_and_won_by_owner(users):
    _deals(users)
    result = forecast(users["admin"], 2026, 4)
    by_owner = {row.name: row for row in result.rows}
    mine = by_owner["rep1"]
    # proposal 1000 × 40% + order 500 × 80%; "done" is won; "lost" counts nowhere.
    assert (mine.open_count, mine.open_amount, mine.weighted_amount, mine.won_amount) == (
        2,
        Decimal("1500.00"),
        Decimal("800.00"),
        Decimal("300.00"),
    )
    assert by_owner["rep2"].weighted_amount == Decimal("200.00")
    assert result.totals.weighted_amount == Decimal("1000.00")


def test_a_rep_sees_only_his_own_deals_in_one_query(users):
    _deals(users)
    rep = users["sales_rep"]
    forecast(rep, 2026, 4)  # per-process caches
    with CaptureQueriesContext(connection) as captured:
        result = forecast(rep, 2026, 4)
    assert [row.name for row in result.rows] == ["rep1"]
    # The grouped figures, the owners' names and the stamps of the per-process caches.
    assert len(captured.captured_queries) <= 3


def test_the_page_and_the_api(users, client_for, api_for):
    _deals(users)
    page = client_for(users["manager"]).get("/sales/forecast/?quarter=2026-Q4")
    html = page.content.decode()
    assert page.status_code == 200
    assert "₪800.00" in html
    assert "rep2" not in html  # another department's rep
    answer = api_for(users["sales_rep"]).get("/api/v1/forecast/?quarter=2026-Q4")
    assert answer.status_code == 200
    body = answer.json()
    assert body["period"] == "2026-Q4"
    assert body["totals"]["weighted_amount"] == "800.00"
    assert api_for(None).get("/api/v1/forecast/").status_code in (401, 403)


def test_categories_months_teams_and_regions(users, departments):
    from kesher.customers.services import account_create
    from kesher.org.models import Region

    rep, other = users["sales_rep"], users["sales_rep2"]
    haifa = Region.objects.get(name_en="Haifa")
    account = account_create(actor=rep, data={"name": "Haifa Ltd", "region": haifa})
    nov, dec = IN_Q4, datetime.date(2026, 12, 3)
    for amount, category, day in (
        ("1000", "commit", nov),
        ("400", "best_case", nov),
        ("200", "pipeline", dec),
        ("9000", "omitted", nov),
    ):
        make_opportunity(
            rep,
            owner=rep,
            account=account,
            stage=stage("proposal"),
            amount=amount,
            forecast_category=category,
            expected_close_date=day,
        )
    make_opportunity(
        other,
        owner=other,
        stage=stage("order"),
        amount="50",
        forecast_category="commit",
        expected_close_date=nov,
    )
    quarter = forecast(users["admin"], 2026, 4)
    mine = next(r for r in quarter.rows if r.name == "rep1")
    # Omitted deals leave the open figures; best case includes commit.
    assert (mine.open_count, mine.open_amount) == (3, Decimal("1600.00"))
    assert (mine.commit_amount, mine.best_case_amount) == (Decimal("1000.00"), Decimal("1400.00"))
    november = forecast(users["admin"], 2026, 4, month=11)
    assert november.label == "2026-11"
    assert next(r for r in november.rows if r.name == "rep1").open_amount == Decimal("1400.00")
    teams = {r.name: r for r in forecast(users["admin"], 2026, 4, by="department").rows}
    assert teams[departments["north"].name].commit_amount == Decimal("1000.00")
    assert teams[departments["service"].name].commit_amount == Decimal("50.00")
    regions = {r.name: r for r in forecast(users["admin"], 2026, 4, by="region").rows}
    assert regions["חיפה"].open_amount == Decimal("1600.00")
    assert regions[""].open_amount == Decimal("50.00")  # a deal without a customer's region


def test_the_api_by_team_for_a_month(users, api_for):
    _deals(users)
    answer = api_for(users["admin"]).get("/api/v1/forecast/?period=2026-11&by=department")
    assert answer.status_code == 200
    body = answer.json()
    assert (body["period"], body["by"]) == ("2026-11", "department")
    assert {row["name"] for row in body["rows"]} == {"מכירות צפון", "שירות"}
    assert api_for(users["admin"]).get("/api/v1/forecast/?by=planet").status_code == 400


def test_forecasting_on_requires_the_close_date(users, client_for):
    from django.core.exceptions import ValidationError

    from kesher.sales.models import SalesSettings
    from kesher.sales.services import sales_settings_update

    admin = users["admin"]
    make_opportunity(admin, amount="10")  # forecasting is off: no date needed
    page = client_for(admin).post(
        "/sales/settings/", {"forecasting": "on", "target_actuals": "won_deals"}
    )
    assert page.status_code == 302
    assert SalesSettings.current().forecasting
    with pytest.raises(ValidationError) as refused:
        make_opportunity(admin, amount="10")
    assert "expected_close_date" in refused.value.message_dict
    make_opportunity(admin, amount="10", expected_close_date=IN_Q4)
    with pytest.raises(ValidationError):
        sales_settings_update(actor=admin, forecasting=True, target_actuals="invoices")
    assert client_for(users["manager"]).get("/sales/settings/").status_code == 403

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

"""The report engine (REQ CX-8, RE-4; decision 0071): grouped figures computed by the database
equal a plain-Python reference over the records the reader may see; fields hidden from him do
not exist; drill-down selects exactly the records of a figure; a constant number of queries."""

from __future__ import annotations

import datetime
import json
from collections import defaultdict
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kesher.customers.services import account_create
from kesher.platform.lists.filterlang import apply_filter
from kesher.platform.models import FieldRule
from kesher.platform.registry import registry
from kesher.reports import engine
from kesher.sales.models import Opportunity
from kesher.sales.tests.factories import make_opportunity, stage

pytestmark = pytest.mark.django_db

CITIES = ["חיפה", "תל אביב", "", "באר שבע"]


@pytest.fixture
def deals(users):
    owners = [users["sales_rep"], users["sales_rep2"], users["manager"]]
    accounts = [
        account_create(actor=users["admin"], data={"name": f"חשבון {i}", "city": city})
        for i, city in enumerate(CITIES)
    ]
    stages = [
        stage("potential"),
        stage("negotiation") if _has("negotiation") else stage("potential"),
    ]
    made = []
    for i in range(18):
        made.append(
            make_opportunity(
                users["admin"],
                name=f"עסקה {i}",
                owner=owners[i % 3],
                account=accounts[i % 4],
                amount=Decimal(1000 + 250 * i),
                stage=stages[i % 2],
            )
        )
    return made


def _has(key):
    from kesher.sales.models import Stage

    return Stage.objects.filter(pipeline__order=1, key=key).exists()


def _run(user, definition, runtime=None):
    return engine.run(engine.parse(definition, user), user, runtime)


def _visible(user):
    return list(Opportunity.objects.visible_to(user).select_related("account", "owner"))


@pytest.mark.parametrize("who", ["admin", "manager", "sales_rep"])
def test_grouped_figures_equal_the_visible_records(users, deals, who):
    user = users[who]
    result = _run(
        user,
        {
            "entity": "opportunities",
            "group_by": [{"field": "owner"}, {"field": "account.city"}],
            "measures": [
                {"agg": "count"},
                {"agg": "sum", "field": "amount"},
                {"agg": "max", "field": "amount"},
                {"agg": "distinct", "field": "account"},
            ],
        },
    )
    reference = defaultdict(list)
    for deal in _visible(user):
        reference[(deal.owner_id, deal.account.city)].append(deal)
    got = {(r.groups[0].value, r.groups[1].value): r.figures for r in result.rows}
    assert set(got) == set(reference)
    for key, rows in reference.items():
        amounts = [d.amount for d in rows if d.amount is not None]
        assert got[key][0] == len(rows)
        assert (got[key][1] or 0) == sum(amounts, Decimal(0))
        assert got[key][2] == (max(amounts) if amounts else None)
        assert got[key][3] == len({d.account_id for d in rows})
    total = sum(r.figures[0] for r in result.rows)
    assert total == len(_visible(user))
    if who == "sales_rep":
        assert {r.groups[0].value for r in result.rows} == {user.pk}


def test_labels_are_names_and_empty_is_said(users, deals):
    result = _run(
        users["admin"],
        {"entity": "opportunities", "group_by": [{"field": "account.city"}, {"field": "stage"}]},
    )
    labels = {r.groups[0].label for r in result.rows}
    assert "חיפה" in labels
    assert "(ריק)" in labels
    assert str(stage("potential")) in {r.groups[1].label for r in result.rows}


def test_drill_down_selects_exactly_the_records_counted(users, deals):
    user = users["manager"]
    result = _run(
        user,
        {
            "entity": "opportunities",
            "group_by": [
                {"field": "owner.department"},
                {"field": "account.city"},
                {"field": "stage"},
            ],
            "measures": [{"agg": "count"}],
        },
    )
    entity = registry.get("opportunities")
    assert result.rows
    for row in result.rows:
        query = parse_qs(urlparse(row.drill).query)
        expression = json.loads(query["filter"][0])
        qs = apply_filter(Opportunity.objects.visible_to(user), entity, expression, user)
        assert qs.count() == row.figures[0], row.drill


def test_month_buckets_and_drill(users, deals):
    now = timezone.now()
    older = now - datetime.timedelta(days=70)
    Opportunity.objects.filter(pk__in=[d.pk for d in deals[:5]]).update(created_at=older)
    user = users["admin"]
    result = _run(
        user,
        {
            "entity": "opportunities",
            "group_by": [{"field": "created_at", "bucket": "month"}],
            "measures": [{"agg": "count"}],
        },
    )
    assert sum(r.figures[0] for r in result.rows) == len(deals)
    local = timezone.localtime(older).date().replace(day=1)
    first = result.rows[0]
    assert first.groups[0].value == local
    assert first.groups[0].label == local.strftime("%m/%Y")
    entity = registry.get("opportunities")
    for row in result.rows:
        expression = json.loads(parse_qs(urlparse(row.drill).query)["filter"][0])
        assert (
            apply_filter(Opportunity.objects.all(), entity, expression, user).count()
            == row.figures[0]
        )


def test_a_pivot_of_stage_by_owner(users, deals):
    result = _run(
        users["admin"],
        {
            "entity": "opportunities",
            "group_by": [{"field": "stage"}, {"field": "owner"}],
            "measures": [{"agg": "count"}],
            "display": "pivot",
        },
    )
    pivot = result.pivot()
    assert len(pivot["columns"]) == 3
    assert sum(int(c["text"]) for row in pivot["rows"] for c in row["cells"] if c["value"]) == len(
        deals
    )


def test_top_n_sorted_by_a_figure(users, deals):
    result = _run(
        users["admin"],
        {
            "entity": "opportunities",
            "group_by": [{"field": "account"}],
            "measures": [{"agg": "sum", "field": "amount"}],
            "sort": {"by": "m0", "desc": True},
            "limit": 2,
        },
    )
    assert len(result.rows) == 2
    assert result.rows[0].figures[0] >= result.rows[1].figures[0]


def test_kpi_compares_with_the_previous_period(users, deals):
    now = timezone.now()
    Opportunity.objects.filter(pk=deals[1].pk).update(closed_at=now, amount=Decimal(500))
    last_month = timezone.localdate().replace(day=1) - datetime.timedelta(days=3)
    stamp = timezone.make_aware(datetime.datetime.combine(last_month, datetime.time(12)))
    Opportunity.objects.filter(pk=deals[2].pk).update(closed_at=stamp, amount=Decimal(800))
    result = _run(
        users["admin"],
        {
            "entity": "opportunities",
            "measures": [{"agg": "sum", "field": "amount"}],
            "period": {"field": "closed_at", "period": "this_month"},
            "display": "chart",
            "chart": "kpi",
        },
    )
    assert result.totals == [Decimal(500)]
    assert result.previous == [Decimal(800)]


def test_hidden_fields_cannot_be_grouped_or_aggregated(users, deals):
    FieldRule.objects.create(entity="opportunities", field="amount", hidden_roles=["sales_rep"])
    for definition in (
        {"entity": "opportunities", "measures": [{"agg": "sum", "field": "amount"}]},
        {"entity": "opportunities", "group_by": [{"field": "amount"}]},
        {"entity": "opportunities", "filter": {"field": "amount", "op": "gt", "value": 1}},
    ):
        with pytest.raises(ValidationError):
            engine.parse(definition, users["sales_rep"])
    engine.parse(definition, users["manager"])


@pytest.mark.parametrize(
    ("definition", "key"),
    [
        ({"entity": "nothing"}, "entity"),
        ({"entity": "opportunities", "group_by": [{"field": "x"}]}, "group_by"),
        ({"entity": "opportunities", "group_by": [{"field": "a"}] * 4}, "group_by"),
        ({"entity": "opportunities", "measures": [{"agg": "sum", "field": "name"}]}, "measures"),
        ({"entity": "opportunities", "measures": [{"agg": "median"}]}, "measures"),
        (
            {"entity": "opportunities", "group_by": [{"field": "name", "bucket": "month"}]},
            "group_by",
        ),
        (
            {"entity": "opportunities", "group_by": [{"field": "account.owner.department"}]},
            "group_by",
        ),
        (
            {"entity": "opportunities", "display": "pivot", "group_by": [{"field": "stage"}]},
            "display",
        ),
        ({"entity": "opportunities", "limit": 0}, "limit"),
        ({"entity": "opportunities", "sort": {"by": "m9"}}, "sort"),
        (
            {"entity": "opportunities", "filter": {"field": "nope", "op": "eq", "value": 1}},
            "filter",
        ),
        ({"entity": "opportunities", "chart": "radar"}, "chart"),
    ],
)
def test_bad_definitions_are_refused(users, definition, key):
    with pytest.raises(ValidationError) as caught:
        engine.parse(definition, users["admin"])
    assert key in caught.value.message_dict


def test_queries_do_not_grow_with_the_records(users, deals):
    definition = {
        "entity": "opportunities",
        "group_by": [
            {"field": "owner"},
            {"field": "stage"},
            {"field": "created_at", "bucket": "week"},
        ],
        "measures": [{"agg": "count"}, {"agg": "avg", "field": "amount"}],
    }
    user = users["manager"]
    parsed = engine.parse(definition, user)
    engine.run(parsed, user)
    with CaptureQueriesContext(connection) as few:
        engine.run(parsed, user)
    for i in range(10):
        make_opportunity(users["admin"], name=f"עוד {i}", owner=user, amount=Decimal(10))
    with CaptureQueriesContext(connection) as many:
        engine.run(parsed, user)
    # One for the figures, one for the owners' names, one for the stages'.
    assert len(many) == len(few) <= 4

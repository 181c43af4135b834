"""Saved views and the filter language on the API (REQ CX-8, CU-1; issue "Customization" 5-6)."""

import json

import pytest

from kesher.customers.models import Account
from kesher.platform.lists.savedviews import segment
from kesher.platform.models import Choice, CustomField, SavedView

pytestmark = pytest.mark.django_db


@pytest.fixture
def accounts(users):
    CustomField.objects.create(entity="accounts", key="score", label_he="ציון", type="integer")
    vip = Choice.objects.get(list_key="account_status", value="vip")
    rep, rep2 = users["sales_rep"], users["sales_rep2"]
    return {
        "haifa_vip": Account.objects.create(
            name="א", city="חיפה", status=vip, owner=rep, custom={"score": 90}
        ),
        "haifa": Account.objects.create(name="ב", city="חיפה", owner=rep, custom={"score": 10}),
        "other_rep": Account.objects.create(
            name="ג", city="חיפה", status=vip, owner=rep2, custom={"score": 95}
        ),
    }


VIP_IN_HAIFA = {
    "all": [
        {"field": "status", "op": "eq", "value": "vip"},
        {"field": "city", "op": "eq", "value": "חיפה"},
    ]
}


def ids(response):
    return {row["id"] for row in response.json()["results"]}


def test_api_filter_parameter_respects_scope(users, api_for, accounts):
    rep = api_for(users["sales_rep"])
    response = rep.get("/api/v1/accounts/", {"filter": json.dumps(VIP_IN_HAIFA)})
    assert response.status_code == 200
    assert ids(response) == {accounts["haifa_vip"].pk}
    admin = api_for(users["admin"])
    high = {"field": "custom.score", "op": "gte", "value": 80}
    assert ids(admin.get("/api/v1/accounts/", {"filter": json.dumps(high)})) == {
        accounts["haifa_vip"].pk,
        accounts["other_rep"].pk,
    }


@pytest.mark.parametrize(
    "raw", ["{not json", json.dumps({"field": "nope", "op": "eq", "value": 1}), "[1, 2]"]
)
def test_api_bad_filter_is_a_400(users, api_for, accounts, raw):
    response = api_for(users["admin"]).get("/api/v1/accounts/", {"filter": raw})
    assert response.status_code == 400
    assert "filter" in response.json()


def test_saved_view_round_trip_and_use_as_segment(users, api_for, accounts):
    rep = users["sales_rep"]
    api = api_for(rep)
    created = api.post(
        "/api/v1/saved-views/",
        {
            "entity": "accounts",
            "name": "VIP בחיפה",
            "filter": VIP_IN_HAIFA,
            "columns": ["name", "city", "custom.score"],
            "sort": "-custom.score",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    view_id = created.json()["id"]
    listed = api.get("/api/v1/accounts/", {"view": view_id})
    assert ids(listed) == {accounts["haifa_vip"].pk}
    view = SavedView.objects.get(pk=view_id)
    assert list(segment(view, users["admin"])) == sorted(
        [accounts["haifa_vip"], accounts["other_rep"]], key=lambda a: a.name
    )
    # Another user neither sees a personal view nor can use it.
    other = api_for(users["sales_rep2"])
    assert other.get(f"/api/v1/saved-views/{view_id}/").status_code == 404
    assert other.get("/api/v1/accounts/", {"view": view_id}).status_code == 400


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": ""}, "name"),
        ({"columns": ["name", "nope"]}, "columns"),
        ({"sort": "nope"}, "sort"),
        ({"filter": {"field": "nope", "op": "eq", "value": 1}}, "filter"),
        ({"shared": True}, "shared"),
        ({"entity": "no-such-entity"}, "entity"),
    ],
)
def test_bad_saved_views_are_refused(users, api_for, accounts, payload, field):
    data = {"entity": "accounts", "name": "x", **payload}
    response = api_for(users["sales_rep"]).post("/api/v1/saved-views/", data, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not SavedView.objects.exists()


def test_only_admins_share_and_shared_views_are_seen_by_all(users, api_for, accounts):
    admin = api_for(users["admin"])
    response = admin.post(
        "/api/v1/saved-views/",
        {"entity": "accounts", "name": "כולם", "shared": True, "filter": VIP_IN_HAIFA},
        format="json",
    )
    assert response.status_code == 201
    rep_views = api_for(users["sales_rep"]).get("/api/v1/saved-views/").json()["results"]
    assert [v["name"] for v in rep_views] == ["כולם"]
    view_id = response.json()["id"]
    denied = api_for(users["sales_rep"]).patch(
        f"/api/v1/saved-views/{view_id}/", {"name": "שלי"}, format="json"
    )
    assert denied.status_code == 400

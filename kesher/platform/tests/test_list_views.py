"""The list page: custom columns, the filter builder's JSON, custom sorting, saved views
(REQ CX-1, CX-8, CU-1; issue "Customization" items 1, 5, 6)."""

import json
import re

import pytest

from kesher.customers.models import Account
from kesher.platform.models import Choice, CustomField, SavedView

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(users):
    Choice.objects.create(list_key="region", value="north", label_he="צפון", label_en="North")
    Choice.objects.create(list_key="region", value="south", label_he="דרום", label_en="South")
    CustomField.objects.create(
        entity="accounts",
        key="region",
        label_he="אזור",
        label_en="Region",
        type="choice",
        choice_list="region",
    )
    CustomField.objects.create(
        entity="accounts", key="since", label_he="לקוח מאז", label_en="Since", type="date"
    )
    return [
        Account.objects.create(name="אלפא", custom={"region": "north", "since": "2024-03-01"}),
        Account.objects.create(name="בטא", custom={"region": "south", "since": "2023-01-15"}),
        Account.objects.create(name="גמא", custom={"region": "north", "since": "2025-07-09"}),
    ]


def names(html: str) -> list[str]:
    return re.findall(r'<a href="/r/accounts/\d+/">([^<]+)</a>', html)


def test_custom_columns_show_labels_and_dates(users, client_for, data):
    page = client_for(users["admin"]).get(
        "/r/accounts/", {"columns": "name,custom.region,custom.since"}
    )
    html = page.content.decode()
    assert "צפון" in html
    assert "01/03/2024" in html
    assert "filter-builder-data" in html


def test_filter_json_and_custom_sort(users, client_for, data):
    expression = {"all": [{"field": "custom.region", "op": "eq", "value": "north"}]}
    page = client_for(users["admin"]).get(
        "/r/accounts/", {"filter": json.dumps(expression), "sort": "-custom.since"}
    )
    assert names(page.content.decode()) == ["גמא", "אלפא"]


def test_bad_filter_shows_a_message_and_no_rows(users, client_for, data):
    page = client_for(users["admin"]).get("/r/accounts/", {"filter": "{oops"})
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="filter-errors"' in html
    assert names(html) == []


def test_save_use_and_delete_a_view(users, client_for, data):
    client = client_for(users["admin"])
    expression = {"all": [{"field": "custom.region", "op": "eq", "value": "south"}]}
    response = client.post(
        "/views/accounts/save/",
        {
            "name": "דרום",
            "filter": json.dumps(expression),
            "columns": "name,custom.region",
            "sort": "name",
        },
    )
    view = SavedView.objects.get()
    assert response.status_code == 302
    assert response.url.endswith(f"?view={view.pk}")
    assert view.filter == expression
    assert view.columns == ["name", "custom.region"]
    assert names(client.get("/r/accounts/", {"view": view.pk}).content.decode()) == ["בטא"]
    # Another user cannot use or delete a personal view.
    other = client_for(users["manager"])
    assert other.post(f"/views/{view.pk}/delete/").status_code == 404
    client.post(f"/views/{view.pk}/delete/")
    assert not SavedView.objects.exists()


def test_saving_a_bad_view_writes_nothing(users, client_for, data):
    client_for(users["admin"]).post(
        "/views/accounts/save/", {"name": "", "filter": "", "columns": "name"}
    )
    client_for(users["sales_rep"]).post(
        "/views/accounts/save/", {"name": "x", "shared": "1", "columns": "name"}
    )
    assert not SavedView.objects.exists()

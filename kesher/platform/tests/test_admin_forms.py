"""What a new user met on the generic forms (issue 14 item 7; REQ CX-1, CX-4, CX-6, OR-3): a
new custom field's default shown as "null"; a pick-list field whose values had to be made on
another page first; a value's parent offered among every value of every list; a new record's
owner left for the user to pick."""

from __future__ import annotations

import re

import pytest

from kesher.customers.tests.factories import make_account
from kesher.platform.models import Choice, CustomField
from kesher.platform.registry import registry

pytestmark = pytest.mark.django_db


def _new_field(**extra) -> dict:
    return {
        "entity": "accounts",
        "key": "tier",
        "label_he": "דרג",
        "label_en": "Tier",
        "type": "choice",
        "order": "0",
        "active": "on",
        **extra,
    }


def test_a_new_custom_field_has_an_empty_default(users, client_for):
    page = client_for(users["admin"]).get("/r/custom-fields/new/").content.decode()
    default = re.search(r'<textarea name="default"[^>]*>(.*?)</textarea>', page, re.S)
    assert default is not None
    assert default[1].strip() == ""
    assert 'dir="ltr"' in default[0]


def test_pick_list_values_are_typed_in_the_custom_field_form(users, client_for):
    client = client_for(users["admin"])
    page = client.get("/r/custom-fields/new/").content.decode()
    assert 'data-value-rows="values"' in page
    assert 'data-shown-with="type"' in page
    response = client.post(
        "/r/custom-fields/new/",
        {
            **_new_field(default='"silver"'),
            "values-value": ["gold", "silver", ""],
            "values-label_he": ["זהב", "כסף", ""],
            "values-label_en": ["Gold", "Silver", ""],
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    field = CustomField.objects.get(entity="accounts", key="tier")
    assert field.choice_list == "tier"  # a new list, named after the field
    assert field.default == "silver"
    values = Choice.objects.filter(list_key="tier").order_by("order")
    assert [(c.value, c.label_he, c.label_en) for c in values] == [
        ("gold", "זהב", "Gold"),
        ("silver", "כסף", "Silver"),
    ]
    # The new field is on the account form at once, with its values.
    form = client.get("/r/accounts/new/").content.decode()
    assert "זהב" in form


def test_a_mistaken_value_writes_neither_the_field_nor_its_values(users, client_for):
    client = client_for(users["admin"])
    response = client.post(
        "/r/custom-fields/new/",
        {
            **_new_field(),
            "values-value": ["gold", "gold", "bronze"],
            "values-label_he": ["זהב", "עוד זהב", ""],
            "values-label_en": ["", "", ""],
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    errors = re.findall(r'data-error-for="values">([^<]*)<', page)
    assert len(errors) == 2, errors  # the second "gold" and the label-less "bronze"
    assert any(error.startswith("bronze:") for error in errors)
    # What was typed comes back to be corrected.
    assert 'value="עוד זהב"' in page
    assert not CustomField.objects.filter(key="tier").exists()
    assert not Choice.objects.filter(list_key="tier").exists()


def test_values_join_an_existing_list_after_its_last(users, client_for):
    client = client_for(users["admin"])
    last = Choice.objects.filter(list_key="industry").order_by("-order").first()
    response = client.post(
        "/r/custom-fields/new/",
        {
            **_new_field(key="second_industry", choice_list="industry"),
            "values-value": ["space"],
            "values-label_he": ["חלל"],
            "values-label_en": ["Space"],
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    added = Choice.objects.get(list_key="industry", value="space")
    assert added.order > last.order


def test_an_existing_field_edits_its_values_on_the_pick_lists_page(users, client_for):
    client = client_for(users["admin"])
    client.post(
        "/r/custom-fields/new/",
        {**_new_field(), "values-value": ["gold"], "values-label_he": ["זהב"]},
    )
    field = CustomField.objects.get(key="tier")
    page = client.get(f"/r/custom-fields/{field.pk}/edit/").content.decode()
    assert "data-value-rows" not in page


def test_a_values_parent_is_chosen_by_list_and_label(users, client_for):
    page = client_for(users["admin"]).get("/r/choices/new/").content.decode()
    select = page.split('<select name="parent"')[1].split("</select>")[0]
    groups = re.findall(r'<optgroup label="([^"]+)">', select)
    status = Choice.objects.get(list_key="account_status", value="vip")
    # Each list under the entity and field that use it, its values by their labels.
    assert "לקוחות · סטטוס" in groups
    assert "account_status" not in select
    account_status = select.split('<optgroup label="לקוחות · סטטוס">')[1].split("</optgroup>")[0]
    assert f'<option value="{status.pk}">{status.label_he}</option>' in account_status
    assert "ערך אב" in page  # the field's own name, in Hebrew


def test_a_new_record_is_offered_to_its_creator(users, client_for):
    rep = users["sales_rep"]
    client = client_for(rep)
    page = client.get("/r/accounts/new/").content.decode()
    assert re.search(rf'<option value="{rep.pk}" selected>', page)
    # A link given in the address wins; an existing record keeps its owner.
    other = users["sales_rep2"]
    page = client.get(f"/r/accounts/new/?owner={other.pk}").content.decode()
    assert re.search(rf'<option value="{other.pk}" selected>', page)
    manager = users["manager"]
    account = make_account(manager, owner=manager)
    page = client_for(manager).get(f"/r/accounts/{account.pk}/edit/").content.decode()
    assert re.search(rf'<option value="{manager.pk}" selected>', page)
    assert not re.search(rf'<option value="{rep.pk}" selected>', page)


def test_an_entity_whose_owner_is_not_its_creator_leaves_it_empty(users, client_for, monkeypatch):
    entity = registry.get("accounts")
    monkeypatch.setattr(entity, "owner_defaults_to_actor", False)
    rep = users["sales_rep"]
    page = client_for(rep).get("/r/accounts/new/").content.decode()
    assert not re.search(rf'<option value="{rep.pk}" selected>', page)

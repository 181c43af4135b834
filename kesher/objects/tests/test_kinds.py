"""What a kind of record an administrator defines gets, and what its definition refuses
(issue 27 items 1–3; REQ CX-1, CX-2, CX-7, OR-3)."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from rest_framework.test import APIClient

from kesher.customers.tests.factories import make_account
from kesher.objects.models import CustomObject, CustomRecord
from kesher.objects.schema import (
    custom_object_create,
    custom_object_delete,
    custom_object_update,
)
from kesher.org.models import Role, RolePermission
from kesher.platform.customfields.schema import custom_field_update
from kesher.platform.models import Choice, CustomField
from kesher.platform.records.services import record_create, record_delete
from kesher.platform.registry import registry

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _grant(role_key: str, key: str, scope: str, *, add=False) -> None:
    RolePermission.objects.create(
        role=Role.objects.get(key=role_key),
        entity=key,
        can_view=True,
        can_add=add,
        can_change=add,
        scope=scope,
    )


def test_a_defined_kind_is_in_the_navigation_pages_api_and_schema(users, contracts_kind):
    """CX-7: defined in the browser, used at once with no restart."""
    client = _client(users["admin"])
    home = client.get("/").content.decode()
    assert "/r/contracts/" in home
    assert client.get("/r/contracts/new/").status_code == 200
    paths = client.get("/api/schema/?format=json").json()["paths"]
    assert {"/api/v1/contracts/", "/api/v1/contracts/{id}/"} <= set(paths)


def test_records_carry_custom_values_and_status_through_the_api(users, contracts_kind):
    admin = users["admin"]
    account = make_account(admin, name="מאפיית הגליל")
    new = Choice.objects.get(list_key="object-status-contracts", value="new")
    response = _api(admin).post(
        "/api/v1/contracts/",
        {
            "name": "חוזה אחזקה 2027",
            "status": new.pk,
            "custom_fields": {"start_date": "2027-01-01", "value": "1200", "account": account.pk},
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    record = CustomRecord.objects.get(pk=response.json()["id"])
    assert record.custom["account"] == account.pk
    assert record.definition.key == "contracts"
    # The link's other side: the contract is listed on the account's page.
    page = _client(admin).get(f"/r/accounts/{account.pk}/").content.decode()
    assert "חוזה אחזקה 2027" in page


def test_a_wrong_value_of_a_custom_field_is_a_translated_400_with_nothing_written(
    users, contracts_kind
):
    api = _api(users["admin"])
    for language, word in (("he", "תאריך"), ("en", "date")):
        response = api.post(
            "/api/v1/contracts/",
            {"name": "x", "custom_fields": {"start_date": "not a date"}},
            format="json",
            HTTP_ACCEPT_LANGUAGE=language,
        )
        assert response.status_code == 400
        assert "custom_fields.start_date" in str(response.json()) or "start_date" in str(
            response.json()
        )
        assert word.lower() in str(response.json()).lower()
    assert not CustomRecord.objects.exists()


def test_another_kinds_status_is_refused(users, contracts_kind):
    """One status column serves every kind; each kind takes only its own list's values."""
    admin = users["admin"]
    custom_object_create(
        actor=admin,
        data={"key": "candidates", "name_he": "מועמד", "plural_he": "מועמדים", "has_status": True},
    )
    foreign = Choice.objects.get(list_key="object-status-candidates", value="new")
    response = _api(admin).post(
        "/api/v1/contracts/", {"name": "x", "status": foreign.pk}, format="json"
    )
    assert response.status_code == 400
    with pytest.raises(ValidationError):
        record_create("contracts", actor=admin, data={"name": "x", "status": foreign})
    form = _client(admin).get("/r/contracts/new/").content.decode()
    own = Choice.objects.get(list_key="object-status-contracts", value="new")
    assert f'value="{own.pk}"' in form
    assert f'value="{foreign.pk}"' not in form


def test_own_scope_and_no_grant(users, contracts_kind):
    """OR-3: a rep with "own" scope sees only his records in the list, the API and search;
    a role without a grant does not see the kind at all."""
    rep, rep2 = users["sales_rep"], users["sales_rep2"]
    _grant("sales_rep", "contracts", "own", add=True)
    mine = record_create("contracts", actor=rep, data={"name": "זיתים ירוקים"})
    theirs = record_create("contracts", actor=rep2, data={"name": "זיתים שחורים"})
    api = _api(rep)
    ids = [row["id"] for row in api.get("/api/v1/contracts/").json()["results"]]
    assert ids == [mine.pk]
    assert api.get(f"/api/v1/contracts/{theirs.pk}/").status_code == 404
    found = _client(rep).get("/search/?q=זיתים").content.decode()
    assert "זיתים ירוקים" in found
    assert "זיתים שחורים" not in found
    reader = users["support_agent"]
    assert _api(reader).get("/api/v1/contracts/").status_code == 403
    assert "/r/contracts/" not in _client(reader).get("/").content.decode()
    assert "זיתים ירוקים" not in _client(reader).get("/search/?q=זיתים").content.decode()


@pytest.mark.parametrize("key", ["accounts", "new", "saved-views", "custom-objects"])
def test_reserved_keys_are_refused(users, key):
    with pytest.raises(ValidationError) as caught:
        custom_object_create(
            actor=users["admin"], data={"key": key, "name_he": "א", "plural_he": "א"}
        )
    assert "key" in caught.value.message_dict


def test_duplicate_and_malformed_keys_are_refused(users, contracts_kind):
    for key in ("contracts", "Contracts", "חוזים", "two words"):
        with pytest.raises(ValidationError) as caught:
            custom_object_create(
                actor=users["admin"], data={"key": key, "name_he": "א", "plural_he": "א"}
            )
        assert "key" in caught.value.message_dict


def test_only_administrators_define_kinds(users):
    body = {"key": "courses", "name_he": "קורס", "plural_he": "קורסים"}
    assert _api(users["manager"]).post("/api/v1/custom-objects/", body).status_code == 403
    assert _api(users["admin"]).post("/api/v1/custom-objects/", body).status_code == 201
    assert not CustomObject.objects.exclude(key="courses").exists()


def test_renaming_and_deactivating_keep_the_records(users, contracts_kind):
    """Item 3: a renamed kind and field, a deactivated and re-activated kind keep data."""
    admin = users["admin"]
    record = record_create(
        "contracts", actor=admin, data={"name": "חוזה", "custom": {"terms": "שנה"}}
    )
    definition = CustomObject.objects.get(key="contracts")
    custom_object_update(definition, actor=admin, data={"plural_en": "Agreements"})
    field = CustomField.objects.get(entity="contracts", key="terms")
    custom_field_update(field, actor=admin, data={"label_en": "Conditions"})
    client = _client(admin)
    page = client.get(f"/r/contracts/{record.pk}/?lang=en", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    definition.refresh_from_db()
    custom_object_update(definition, actor=admin, data={"active": False})
    assert "contracts" not in registry
    assert client.get(f"/r/contracts/{record.pk}/").status_code == 404
    definition.refresh_from_db()
    custom_object_update(definition, actor=admin, data={"active": True})
    assert client.get(f"/r/contracts/{record.pk}/").status_code == 200
    record.refresh_from_db()
    assert record.custom == {"terms": "שנה"}
    with pytest.raises(ValidationError):
        custom_object_update(definition, actor=admin, data={"key": "agreements"})


def test_deleting_a_kind_with_records_is_refused(users, contracts_kind):
    admin = users["admin"]
    record = record_create("contracts", actor=admin, data={"name": "חוזה"})
    definition = CustomObject.objects.get(key="contracts")
    with pytest.raises(ValidationError) as caught:
        custom_object_delete(definition, actor=admin)
    assert "1" in caught.value.messages[0]
    response = _client(admin).post(f"/r/custom-objects/{definition.pk}/delete/")
    assert CustomObject.objects.filter(pk=definition.pk).exists()
    assert response.status_code in (200, 302, 400)
    record_delete(record, actor=admin)
    custom_object_delete(definition, actor=admin)
    assert not CustomObject.objects.exists()
    assert not CustomField.objects.filter(entity="contracts").exists()
    assert "contracts" not in registry


def test_a_type_change_checks_only_this_kinds_values(users, contracts_kind):
    """Item 3: values of the same key in another kind do not block a change."""
    admin = users["admin"]
    record_create("contracts", actor=admin, data={"name": "a", "custom": {"terms": "שנה"}})
    field = CustomField.objects.get(entity="contracts", key="terms")
    with pytest.raises(ValidationError):
        custom_field_update(field, actor=admin, data={"type": "integer"})


# --- bad definitions are refused with a clear, translated message (issue 27, "tests") --------


def _kind(admin, key: str) -> None:
    custom_object_create(
        actor=admin, data={"key": key, "name_he": key, "plural_he": key, "plural_en": key}
    )


def _link(admin, entity: str, key: str, target: str, *, required=True) -> CustomField:
    from kesher.platform.customfields.schema import custom_field_create

    return custom_field_create(
        actor=admin,
        data={
            "entity": entity,
            "key": key,
            "label_he": key,
            "type": "link",
            "link_entity": target,
            "required": required,
        },
    )


@pytest.mark.parametrize("key", ["notes", "webhooks", "search", "bulk-jobs"])
def test_keys_the_addresses_use_are_refused(users, key):
    """A module's own API or page word (``/api/v1/notes/``) is as reserved as an entity key."""
    with pytest.raises(ValidationError) as caught:
        _kind(users["admin"], key)
    assert "שמורה" in caught.value.message_dict["key"][0]


def test_a_duplicate_or_built_in_field_key_is_refused_in_hebrew(users, contracts_kind):
    from django.utils import translation

    from kesher.platform.customfields.schema import custom_field_create

    admin = users["admin"]
    with translation.override("he"):
        for key, words in (("terms", "כבר יש"), ("status", "מובנה"), ("owner", "מובנה")):
            with pytest.raises(ValidationError) as caught:
                custom_field_create(
                    actor=admin,
                    data={"entity": "contracts", "key": key, "label_he": "x", "type": "text"},
                )
            assert words in caught.value.message_dict["key"][0], caught.value.message_dict
    assert CustomField.objects.filter(entity="contracts", key="terms").count() == 1


def test_a_circle_of_required_links_is_refused(users):
    """Courses that need an enrolment that needs a course: no first record could be saved."""
    from django.utils import translation

    from kesher.platform.customfields.schema import custom_field_update

    admin = users["admin"]
    for key in ("courses", "enrolments", "rooms"):
        _kind(admin, key)
    registry.refresh()
    _link(admin, "enrolments", "course", "courses")
    _link(admin, "courses", "room", "rooms")
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        _link(admin, "rooms", "enrolment", "enrolments")
    message = caught.value.message_dict["required"][0]
    assert "rooms → enrolments → courses → rooms" in message
    with translation.override("he"), pytest.raises(ValidationError) as caught:
        _link(admin, "courses", "parent", "courses")  # a kind that needs one of its own first
    assert "מעגל (courses → courses)" in caught.value.message_dict["required"][0]
    # Optional, the same link is fine; made required later, it is refused.
    optional = _link(admin, "rooms", "enrolment", "enrolments", required=False)
    with pytest.raises(ValidationError):
        custom_field_update(optional, actor=admin, data={"required": True})
    optional.refresh_from_db()
    assert not optional.required


def test_a_type_change_that_breaks_values_names_them_in_hebrew(users, contracts_kind):
    from django.utils import translation

    admin = users["admin"]
    record = record_create("contracts", actor=admin, data={"name": "a", "custom": {"terms": "שנה"}})
    field = CustomField.objects.get(entity="contracts", key="terms")
    with translation.override("he"), pytest.raises(ValidationError) as caught:
        custom_field_update(field, actor=admin, data={"type": "date"})
    message = caught.value.message_dict["type"][0]
    assert f"#{record.pk}" in message
    assert "רשומות" in message
    field.refresh_from_db()
    assert field.type == "long_text"


def test_a_related_list_adds_a_record_already_linked(users, contracts_kind):
    """From the account's page, "New contract" opens the form with the account filled in."""
    admin = users["admin"]
    account = make_account(admin, name="מאפיית הגליל")
    client = _client(admin)
    page = client.get(f"/r/accounts/{account.pk}/").content.decode()
    address = f"/r/contracts/new/?cf_account={account.pk}"
    assert address in page
    form = client.get(address).content.decode()
    assert "מאפיית הגליל" in form
    # A rep without the right to add contracts gets no such button.
    _grant("sales_rep", "contracts", "all")
    rep_account = make_account(users["sales_rep"], name="לקוח של נציג")
    rep_page = _client(users["sales_rep"]).get(f"/r/accounts/{rep_account.pk}/")
    assert "/r/contracts/new/" not in rep_page.content.decode()

"""Custom fields: definitions, value validation, dependent pick-lists, safe schema changes
(REQ CX-1 … CX-6; issue "Customization" items 1-3 and 8)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from kesher.customers.models import Account
from kesher.platform.customfields import schema
from kesher.platform.customfields.values import validate_custom
from kesher.platform.lists.filterlang import apply_filter
from kesher.platform.models import Choice, CustomField
from kesher.platform.registry import registry

pytestmark = pytest.mark.django_db


def field(key, type_, **extra):
    return CustomField.objects.create(
        entity="accounts", key=key, label_he=key, label_en=key, type=type_, **extra
    )


@pytest.fixture
def ticket_types(db):
    """SV-2: ticket type → subtype → subtype level 2, as three dependent lists."""
    support = Choice.objects.create(list_key="ticket_type", value="support", label_he="תמיכה")
    sales = Choice.objects.create(list_key="ticket_type", value="sales", label_he="מכירות")
    install = Choice.objects.create(
        list_key="ticket_subtype", value="install", label_he="התקנה", parent=support
    )
    Choice.objects.create(
        list_key="ticket_subtype", value="quote", label_he="הצעת מחיר", parent=sales
    )
    Choice.objects.create(
        list_key="ticket_subtype2", value="printer", label_he="מדפסת", parent=install
    )
    top = field("ticket_type", "choice", choice_list="ticket_type")
    middle = field("ticket_subtype", "choice", choice_list="ticket_subtype", parent=top)
    bottom = field("ticket_subtype2", "choice", choice_list="ticket_subtype2", parent=middle)
    return top, middle, bottom


@pytest.mark.parametrize(
    ("type_", "given", "stored"),
    [
        ("text", "  שלום  ", "שלום"),
        ("integer", "42", 42),
        ("decimal", "3.25", 3.25),
        ("money", "10.005", 10.0),
        ("date", "2026-01-31", "2026-01-31"),
        ("datetime", "2026-01-31T10:00:00+02:00", "2026-01-31T08:00:00+00:00"),
        ("boolean", "כן", True),
        ("email", "Dana@Example.co.il", "dana@example.co.il"),
        ("phone", "052-555-1234", "+972525551234"),
        ("url", "https://kesher.example", "https://kesher.example"),
        ("israeli_id", "000000018", "000000018"),
        ("company_number", "516179157", "516179157"),
    ],
)
def test_values_are_normalized_by_type(type_, given, stored):
    field("value", type_)
    assert validate_custom("accounts", {"value": given}) == {"value": stored}


@pytest.mark.parametrize(
    ("type_", "given"),
    [
        ("integer", "4.5"),
        ("integer", True),
        ("decimal", "abc"),
        ("decimal", "NaN"),
        ("date", "31/01/2026"),
        ("datetime", "yesterday"),
        ("boolean", "maybe"),
        ("email", "not-an-email"),
        ("phone", "12"),
        ("url", "javascript:alert(1)"),
        ("israeli_id", "123456789"),
        ("company_number", "123"),
        ("text", "x" * 1001),
        ("text", 5),
    ],
)
def test_bad_values_are_refused_by_key(type_, given):
    field("value", type_)
    with pytest.raises(ValidationError) as caught:
        validate_custom("accounts", {"value": given})
    assert list(caught.value.message_dict) == ["custom_fields.value"]


def test_unknown_and_inactive_keys_are_refused_but_inactive_data_is_kept():
    field("old", "text", active=False)
    with pytest.raises(ValidationError) as caught:
        validate_custom("accounts", {"nope": 1, "old": "x"})
    assert set(caught.value.message_dict) == {"custom_fields.nope", "custom_fields.old"}
    assert validate_custom("accounts", {}, {"old": "kept"}) == {"old": "kept"}


def test_required_and_default():
    field("region", "text", required=True)
    field("score", "integer", default=10)
    with pytest.raises(ValidationError) as caught:
        validate_custom("accounts", {})
    assert "custom_fields.region" in caught.value.message_dict
    assert validate_custom("accounts", {"region": "צפון"}) == {"region": "צפון", "score": 10}


def test_choice_values_must_be_in_the_list_unless_free_text():
    Choice.objects.create(list_key="tier", value="gold", label_he="זהב")
    Choice.objects.create(list_key="tier", value="old", label_he="ישן", active=False)
    field("tier", "choice", choice_list="tier")
    field("labels", "multi_choice", choice_list="tier")
    assert validate_custom("accounts", {"tier": "gold", "labels": ["gold", "gold"]}) == {
        "tier": "gold",
        "labels": ["gold"],
    }
    for bad in ("silver", "old"):
        with pytest.raises(ValidationError):
            validate_custom("accounts", {"tier": bad})
    CustomField.objects.filter(key="tier").update(allow_free_text=True)
    assert validate_custom("accounts", {"tier": "silver"}) == {"tier": "silver"}


def test_dependent_values_must_belong_to_their_parent(ticket_types):
    ok = {"ticket_type": "support", "ticket_subtype": "install", "ticket_subtype2": "printer"}
    assert validate_custom("accounts", ok) == ok
    with pytest.raises(ValidationError) as caught:
        validate_custom("accounts", {"ticket_type": "sales", "ticket_subtype": "install"})
    assert "custom_fields.ticket_subtype" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        validate_custom("accounts", {"ticket_subtype": "install"})
    assert "custom_fields.ticket_subtype" in caught.value.message_dict
    # Changing the parent alone leaves a child that no longer belongs: refused.
    with pytest.raises(ValidationError) as caught:
        validate_custom("accounts", {"ticket_type": "sales"}, ok)
    assert "custom_fields.ticket_subtype" in caught.value.message_dict


@pytest.mark.parametrize(
    ("data", "error_field"),
    [
        ({"key": "Bad Key", "type": "text"}, "key"),
        ({"key": "name", "type": "text"}, "key"),
        ({"key": "tier", "type": "choice"}, "choice_list"),
        ({"key": "note", "type": "text", "choice_list": "tier"}, "choice_list"),
        ({"key": "link", "type": "link"}, "link_entity"),
        ({"key": "essay", "type": "long_text", "indexed": True}, "indexed"),
        ({"key": "score", "type": "integer", "default": "many"}, "default"),
        ({"key": "t", "type": "nonsense"}, "type"),
    ],
)
def test_bad_definitions_are_refused(users, data, error_field):
    payload = {"entity": "accounts", "label_he": "שדה", **data}
    with pytest.raises(ValidationError) as caught:
        schema.custom_field_create(actor=users["admin"], data=payload)
    assert error_field in caught.value.message_dict
    assert not CustomField.objects.exists()


def test_dependency_goes_at_most_three_levels(users, ticket_types):
    _top, _middle, bottom = ticket_types
    with pytest.raises(ValidationError) as caught:
        schema.custom_field_create(
            actor=users["admin"],
            data={
                "entity": "accounts",
                "key": "level4",
                "label_he": "4",
                "type": "choice",
                "choice_list": "x",
                "parent": bottom,
            },
        )
    assert "parent" in caught.value.message_dict


def test_type_change_reports_records_that_would_fail(users):
    note = field("code", "text")
    good = Account.objects.create(name="a", custom={"code": "12"})
    bad = Account.objects.create(name="b", custom={"code": "twelve"})
    with pytest.raises(ValidationError) as caught:
        schema.custom_field_update(note, actor=users["admin"], data={"type": "integer"})
    assert f"#{bad.pk}" in caught.value.message_dict["type"][0]
    assert f"#{good.pk}" not in caught.value.message_dict["type"][0]
    note.refresh_from_db()
    assert note.type == "text"
    Account.objects.filter(pk=bad.pk).update(custom={"code": "13"})
    schema.custom_field_update(note, actor=users["admin"], data={"type": "integer"})
    note.refresh_from_db()
    assert note.type == "integer"


def test_choice_in_use_is_refused_or_replaced(users):
    gold = Choice.objects.create(list_key="tier", value="gold", label_he="זהב")
    silver = Choice.objects.create(list_key="tier", value="silver", label_he="כסף")
    field("tier", "choice", choice_list="tier")
    field("tiers", "multi_choice", choice_list="tier")
    account = Account.objects.create(name="a", custom={"tier": "gold", "tiers": ["gold", "silver"]})
    with pytest.raises(ValidationError):
        schema.choice_delete(gold, actor=users["admin"])
    assert Choice.objects.filter(pk=gold.pk).exists()
    schema.choice_delete(gold, actor=users["admin"], replacement=silver)
    account.refresh_from_db()
    assert account.custom == {"tier": "silver", "tiers": ["silver"]}
    assert not Choice.objects.filter(pk=gold.pk).exists()


def test_builtin_choice_in_use_is_refused(users):
    vip = Choice.objects.get(list_key="account_status", value="vip")
    Account.objects.create(name="a", status=vip)
    with pytest.raises(ValidationError):
        schema.choice_delete(vip, actor=users["admin"])
    active = Choice.objects.get(list_key="account_status", value="active")
    schema.choice_delete(vip, actor=users["admin"], replacement=active)
    assert Account.objects.get(name="a").status == active


@pytest.mark.django_db(transaction=True)
def test_indexed_field_gets_an_expression_index_the_query_uses(users):
    score = schema.custom_field_create(
        actor=users["admin"],
        data={
            "entity": "accounts",
            "key": "score",
            "label_he": "ציון",
            "type": "integer",
            "indexed": True,
        },
    )
    for i in range(50):
        Account.objects.create(name=str(i), custom={"score": i})
    qs = apply_filter(
        Account.objects.all(),
        registry.get("accounts"),
        {"field": "custom.score", "op": "gt", "value": 45},
    )
    assert qs.count() == 4
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET enable_seqscan = off")
        plan = qs.order_by().explain()
    assert schema.index_name(score) in plan
    schema.custom_field_update(score, actor=users["admin"], data={"indexed": False})
    indexes = connection.introspection.get_constraints(connection.cursor(), "customers_account")
    assert schema.index_name(score) not in indexes


def test_renaming_a_value_onto_an_existing_one_is_a_validation_error(users):
    """A unique pair (list, value) breaks when only the value changes: a 400, not a 500."""
    from kesher.platform.records.services import record_update

    gold = Choice.objects.create(list_key="tier", value="gold", label_he="זהב")
    Choice.objects.create(list_key="tier", value="silver", label_he="כסף")
    with pytest.raises(ValidationError):
        record_update(gold, actor=users["admin"], data={"value": "silver"})


def test_deleting_a_value_in_use_through_ui_and_api(users, client_for, api_for):
    vip = Choice.objects.get(list_key="account_status", value="vip")
    active = Choice.objects.get(list_key="account_status", value="active")
    Account.objects.create(name="a", status=vip)
    client = client_for(users["admin"])
    page = client.get(f"/r/choices/{vip.pk}/delete/").content.decode()
    assert 'name="replacement"' in page
    response = client.post(f"/r/choices/{vip.pk}/delete/")
    assert response.status_code == 302
    assert Choice.objects.filter(pk=vip.pk).exists()
    api = api_for(users["admin"])
    assert api.delete(f"/api/v1/choices/{vip.pk}/").status_code == 400
    assert api.delete(f"/api/v1/choices/{vip.pk}/?replacement=999999").status_code == 400
    assert api.delete(f"/api/v1/choices/{vip.pk}/?replacement={active.pk}").status_code == 204
    assert Account.objects.get(name="a").status == active

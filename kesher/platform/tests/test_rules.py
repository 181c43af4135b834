"""Field rules enforced by the services for the UI, the API and the importer alike
(REQ CX-3, CX-5, SV-4, CX-9; issue "Customization" item 4)."""

import pytest
from django.core.exceptions import ValidationError

from kesher.customers.models import Account
from kesher.customers.services import account_create, account_update
from kesher.platform.models import Choice, CustomField, FieldRule

pytestmark = pytest.mark.django_db


def status(value):
    return Choice.objects.get(list_key="account_status", value=value)


def test_required_at_status_is_checked_at_the_transition(users):
    FieldRule.objects.create(entity="accounts", field="email", required_statuses=["active"])
    admin = users["admin"]
    lead = account_create(actor=admin, data={"name": "א", "status": status("lead")})
    with pytest.raises(ValidationError) as caught:
        account_update(lead, actor=admin, data={"status": status("active")})
    assert "email" in caught.value.message_dict
    lead.refresh_from_db()
    assert lead.status.value == "lead"
    account_update(lead, actor=admin, data={"status": status("active"), "email": "a@b.co.il"})
    lead.refresh_from_db()
    assert lead.status.value == "active"


def test_required_custom_field_and_always_required(users):
    CustomField.objects.create(entity="accounts", key="region", label_he="אזור", type="text")
    FieldRule.objects.create(entity="accounts", field="custom.region", required=True)
    FieldRule.objects.create(entity="accounts", field="city", required=True)
    with pytest.raises(ValidationError) as caught:
        account_create(actor=users["admin"], data={"name": "א"})
    assert set(caught.value.message_dict) >= {"custom_fields.region", "city"}
    assert not Account.objects.exists()
    account = account_create(
        actor=users["admin"], data={"name": "א", "city": "חיפה", "custom": {"region": "צפון"}}
    )
    # An unrelated edit of an existing record is not blocked by the rules.
    account_update(account, actor=users["admin"], data={"notes": "הערה"})


def test_read_only_for_a_role(users):
    FieldRule.objects.create(entity="accounts", field="status", read_only_roles=["sales_rep"])
    rep = users["sales_rep"]
    account = account_create(actor=rep, data={"name": "א"})
    with pytest.raises(ValidationError) as caught:
        account_create(actor=rep, data={"name": "ב", "status": status("vip")})
    assert "status" in caught.value.message_dict
    account_update(account, actor=users["admin"], data={"status": status("vip")})
    with pytest.raises(ValidationError):
        account_update(account, actor=rep, data={"status": status("lead")})
    account_update(account, actor=rep, data={"status": status("vip"), "notes": "x"})


def test_regex_mask_with_its_own_message(users):
    FieldRule.objects.create(
        entity="accounts",
        field="zip_code",
        validator="regex",
        pattern=r"\d{7}",
        message_he="מיקוד בן שבע ספרות",
        message_en="A seven-digit zip code",
    )
    with pytest.raises(ValidationError) as caught:
        account_create(actor=users["admin"], data={"name": "א", "zip_code": "123"})
    assert caught.value.message_dict["zip_code"] == ["מיקוד בן שבע ספרות"]
    account_create(actor=users["admin"], data={"name": "א", "zip_code": "1234567"})


def test_rules_apply_through_the_api_in_both_languages(users, api_for):
    FieldRule.objects.create(entity="accounts", field="city", required=True)
    for language, word in (("he", "שדה"), ("en", "required")):
        response = api_for(users["admin"], language=language).post(
            "/api/v1/accounts/", {"name": "א"}, format="json"
        )
        assert response.status_code == 400
        assert word in response.json()["city"][0]
    assert not Account.objects.exists()


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"field": "nope"}, "field"),
        ({"field": "custom.nope"}, "field"),
        ({"field": "zip_code", "validator": "regex", "pattern": "(["}, "pattern"),
        ({"field": "zip_code", "required_statuses": "active"}, "required_statuses"),
    ],
)
def test_bad_rules_are_refused(users, api_for, data, error):
    response = api_for(users["admin"]).post(
        "/api/v1/field-rules/", {"entity": "accounts", **data}, format="json"
    )
    assert response.status_code == 400
    assert error in response.json()
    assert not FieldRule.objects.exists()

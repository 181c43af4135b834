"""Custom fields through the REST API and the generic screens (REQ CX-1, CX-6)."""

import pytest

from kesher.customers.models import Account
from kesher.platform.models import AuditEntry, Choice, CustomField

pytestmark = pytest.mark.django_db


@pytest.fixture
def region(db):
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
        entity="accounts", key="score", label_he="ציון", label_en="Score", type="integer"
    )


def test_api_writes_reads_and_audits_custom_values(users, api_for, region):
    api = api_for(users["admin"], language="en")
    created = api.post(
        "/api/v1/accounts/",
        {"name": "אקמה", "custom_fields": {"region": "north", "score": "7"}},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["custom_fields"] == {"region": "north", "score": 7}
    pk = created.json()["id"]
    changed = api.patch(f"/api/v1/accounts/{pk}/", {"custom_fields": {"score": 9}}, format="json")
    assert changed.status_code == 200, changed.content
    assert changed.json()["custom_fields"] == {"region": "north", "score": 9}
    assert changed.json()["version"] == 2
    update = AuditEntry.objects.filter(object_id=pk, action="update").get()
    assert update.changes == {"_v": 2, "custom_fields.score": [7, 9]}


@pytest.mark.parametrize(
    ("custom", "key"),
    [
        ({"region": "east"}, "custom_fields.region"),
        ({"score": "many"}, "custom_fields.score"),
        ({"nope": 1}, "custom_fields.nope"),
    ],
)
def test_api_refuses_bad_custom_values_by_key(users, api_for, region, custom, key):
    api = api_for(users["admin"], language="en")
    response = api.post("/api/v1/accounts/", {"name": "x", "custom_fields": custom}, format="json")
    assert response.status_code == 400
    assert key in response.json()
    assert not Account.objects.exists()


def test_api_custom_fields_must_be_an_object(users, api_for, region):
    response = api_for(users["admin"]).post(
        "/api/v1/accounts/", {"name": "x", "custom_fields": ["north"]}, format="json"
    )
    assert response.status_code == 400
    assert "custom_fields" in response.json()
    assert not Account.objects.exists()


def test_admin_manages_custom_fields_and_choices_through_the_api(users, api_for):
    api = api_for(users["admin"])
    response = api.post(
        "/api/v1/custom-fields/",
        {
            "entity": "accounts",
            "key": "segment",
            "label_he": "פלח",
            "label_en": "Segment",
            "type": "text",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    response = api.post(
        "/api/v1/choices/",
        {"list_key": "segment", "value": "smb", "label_he": "עסקים קטנים"},
        format="json",
    )
    assert response.status_code == 201, response.content
    rep = api_for(users["sales_rep"])
    assert rep.get("/api/v1/custom-fields/").status_code == 403
    assert rep.post("/api/v1/choices/", {}, format="json").status_code == 403


@pytest.fixture
def lead_sources(db):
    """MK-6: lead source (sales' pick-list, sales/migrations/0002) → a secondary source."""
    ad = Choice.objects.get(list_key="lead_source", value="word_ad")
    referral = Choice.objects.get(list_key="lead_source", value="referral")
    Choice.objects.create(list_key="lead_source2", value="google", label_he="גוגל", parent=ad)
    Choice.objects.create(list_key="lead_source2", value="ynet", label_he="YNET", parent=ad)
    Choice.objects.create(
        list_key="lead_source2", value="customer", label_he="לקוח", parent=referral
    )
    source = CustomField.objects.create(
        entity="accounts",
        key="lead_source",
        label_he="מקור",
        type="choice",
        choice_list="lead_source",
    )
    child = CustomField.objects.create(
        entity="accounts",
        key="lead_source2",
        label_he="מקור משני",
        type="choice",
        choice_list="lead_source2",
        parent=source,
    )
    return source, child


def test_form_shows_custom_fields_and_maps_service_errors(users, client_for, lead_sources):
    client = client_for(users["admin"])
    page = client.get("/r/accounts/new/")
    assert b'name="cf_lead_source"' in page.content
    assert b"hx-get" in page.content
    response = client.post(
        "/r/accounts/new/",
        {
            "kind": "organization",
            "name": "אקמה",
            "cf_lead_source": "referral",
            "cf_lead_source2": "google",
        },
    )
    assert response.status_code == 200
    assert 'data-error-for="cf_lead_source2"' in response.content.decode()
    assert not Account.objects.exists()
    response = client.post(
        "/r/accounts/new/",
        {
            "kind": "organization",
            "name": "אקמה",
            "cf_lead_source": "word_ad",
            "cf_lead_source2": "google",
        },
    )
    assert response.status_code == 302
    account = Account.objects.get()
    assert account.custom == {"lead_source": "word_ad", "lead_source2": "google"}
    detail = client.get(f"/r/accounts/{account.pk}/").content.decode()
    assert "גוגל" in detail
    assert 'data-field="custom.lead_source2"' in detail


def test_dependent_options_narrow_to_the_parent_value(users, client_for, lead_sources):
    _source, child = lead_sources
    client = client_for(users["admin"])
    narrowed = client.get(f"/options/{child.pk}/", {"cf_lead_source": "word_ad"}).content.decode()
    assert "google" in narrowed
    assert "ynet" in narrowed
    assert "customer" not in narrowed
    empty = client.get(f"/options/{child.pk}/").content.decode()
    assert "google" not in empty
    assert client_for(users["read_only"]).get(f"/options/{child.pk}/").status_code == 200


def test_custom_text_values_are_searchable(users, api_for, client_for):
    CustomField.objects.create(entity="accounts", key="nickname", label_he="כינוי", type="text")
    CustomField.objects.create(entity="accounts", key="fax", label_he="פקס", type="phone")
    api = api_for(users["admin"])
    created = api.post(
        "/api/v1/accounts/",
        {"name": "אקמה", "custom_fields": {"nickname": "הנמר הכחול", "fax": "03-555-7788"}},
        format="json",
    )
    assert created.status_code == 201, created.content
    page = client_for(users["admin"]).get("/search/", {"q": "הנמר"}).content.decode()
    assert "אקמה" in page
    page = client_for(users["admin"]).get("/search/", {"q": "5557788"}).content.decode()
    assert "אקמה" in page
    api.patch(
        f"/api/v1/accounts/{created.json()['id']}/",
        {"custom_fields": {"nickname": "אחר"}},
        format="json",
    )
    page = client_for(users["admin"]).get("/search/", {"q": "הנמר"}).content.decode()
    assert "אקמה" not in page

"""Bad input answers 400/404/409 with a clear, translated message, never 500 (issue 24
item 3): a record still referred to, deleted through the API; a saved view or id that is not a
number; a whole number past 2⁶³; objects where text belongs in a call-back run."""

import pytest

from kesher.org.models import Department
from kesher.platform.models import CustomField

pytestmark = pytest.mark.django_db


def test_deleting_a_department_with_sub_departments_answers_409_naming_them(
    users, departments, api_for
):
    response = api_for(users["admin"], "en").delete(
        f"/api/v1/departments/{departments['sales'].pk}/"
    )
    assert response.status_code == 409
    assert response.json()["detail"] == (
        "This record is in use by other records and was not deleted: 1 department."
    )
    assert Department.objects.filter(pk=departments["sales"].pk).exists()
    hebrew = api_for(users["admin"], "he").delete(f"/api/v1/departments/{departments['sales'].pk}/")
    assert hebrew.status_code == 409
    assert "מחלקה" in hebrew.json()["detail"]


def test_deleting_a_custom_field_others_depend_on_answers_409(users, api_for):
    region = CustomField.objects.create(
        entity="accounts", key="region", label_he="אזור", type="text"
    )
    CustomField.objects.create(
        entity="accounts", key="district", label_he="נפה", type="text", parent=region
    )
    response = api_for(users["admin"], "en").delete(f"/api/v1/custom-fields/{region.pk}/")
    assert response.status_code in (400, 409), response.content
    assert CustomField.objects.filter(pk=region.pk).exists()


def test_the_ui_names_what_keeps_a_record_from_deletion(users, departments, client_for):
    client = client_for(users["admin"])
    response = client.post(f"/r/departments/{departments['sales'].pk}/delete/", follow=True)
    assert "1 " in response.content.decode()
    assert Department.objects.filter(pk=departments["sales"].pk).exists()


def test_saved_views_with_ids_that_are_not_numbers(users, api_for, client_for):
    api = api_for(users["admin"], "en")
    assert api.get("/api/v1/saved-views/abc/").status_code == 404
    assert api.get(f"/api/v1/saved-views/{2**64}/").status_code in (400, 404)
    assert api.get("/api/v1/accounts/", {"view": "abc"}).status_code == 400
    assert client_for(users["admin"]).get("/r/accounts/", {"view": "x"}).status_code == 200


def test_a_number_past_2_63_answers_400_with_the_limit(users, api_for):
    response = api_for(users["admin"], "en").get("/api/v1/accounts/", {"owner": str(2**64)})
    assert response.status_code == 400
    assert response.json()


@pytest.mark.parametrize(
    "body",
    [
        {"days": 30, "city": {"a": 1}},
        {"days": {"a": 1}},
        {"days": 30, "owner": [1]},
        {"days": 30, "owner": str(2**64)},
        [1, 2],
    ],
)
def test_call_back_runs_refuse_objects_where_text_belongs(users, api_for, body):
    response = api_for(users["manager"], "en").post("/api/v1/callback-runs/", body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()


def test_the_api_schema_declares_400_409_and_429(api_schema):
    paths = api_schema()["paths"]
    departments = paths["/api/v1/departments/{id}/"]
    assert "409" in departments["delete"]["responses"]
    assert "429" in departments["get"]["responses"]
    assert "Retry-After" in departments["get"]["responses"]["429"]["headers"]
    assert "400" in paths["/api/v1/accounts/"]["get"]["responses"]

import pytest

pytestmark = pytest.mark.django_db


def test_admin_creates_account_through_api(users, api_for):
    response = api_for(users["admin"]).post(
        "/api/v1/accounts/", {"name": "אקמה", "phone": "052-555-1234"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["phone"] == "+972525551234"

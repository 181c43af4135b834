"""Error pages speak the user's language and leak nothing (REQ OR-5)."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("language", "text"), [("he", "לא נמצא"), ("en", "Not found")])
def test_not_found_page_is_translated(users, client_for, settings, language, text):
    settings.DEBUG = False
    user = users["sales_rep"]
    user.language = language
    user.save(update_fields=["language"])
    response = client_for(user).get("/r/accounts/999999/")
    assert response.status_code == 404
    assert text in response.content.decode()


def test_forbidden_page(users, client_for, settings):
    settings.DEBUG = False
    response = client_for(users["read_only"]).get("/r/accounts/new/")
    assert response.status_code == 403
    assert "הרשאות" in response.content.decode()


def test_api_framework_messages_are_hebrew(api_for):
    response = api_for(None, language="he").get("/api/v1/accounts/")
    assert response.status_code in (401, 403)
    assert response.json()["detail"] == "לא נמסרו פרטי הזדהות."
    english = api_for(None, language="en").get("/api/v1/accounts/")
    assert english.json()["detail"] == "Authentication credentials were not provided."

"""The message log's API, query counts, and the OpenAPI schema (issue 5 items 4, 9)."""

import pytest

from kesher.customers.tests.factories import make_account
from kesher.integrations.models import OutgoingMessage
from kesher.integrations.tests.factories import make_template, queue_email

pytestmark = pytest.mark.django_db


def test_message_api_lists_filters_and_retries(admin_user, api_for, django_assert_max_num_queries):
    template = make_template(admin_user)
    account = make_account(admin_user, name="x")
    for _n in range(3):
        queue_email(admin_user, template=template, record=account)
    api = api_for(admin_user)
    api.get("/api/v1/messages/")
    with django_assert_max_num_queries(6):
        few = api.get("/api/v1/messages/")
    for _n in range(30):
        queue_email(admin_user, template=template, record=account)
    with django_assert_max_num_queries(6):
        many = api.get("/api/v1/messages/")
    assert few.status_code == many.status_code == 200
    assert many.json()["count"] == 33
    first = many.json()["results"][0]
    assert first["channel"] == "email"
    assert first["link_type"] == "accounts"
    assert first["link_id"] == account.pk
    assert 'dir="rtl"' in first["body_html"]
    other = queue_email(admin_user)
    OutgoingMessage.objects.filter(pk=other.pk).update(status="failed")
    failed = api.get("/api/v1/messages/?status=failed&channel=email").json()
    assert [m["id"] for m in failed["results"]] == [other.pk]
    by_record = api.get(f"/api/v1/messages/?link_type=accounts&link_id={account.pk}").json()
    assert by_record["count"] == 33
    assert api.post(f"/api/v1/messages/{other.pk}/retry/").json()["status"] == "queued"
    again = api_for(admin_user, language="en").post(f"/api/v1/messages/{other.pk}/retry/")
    assert again.status_code == 400
    assert again.json() == {"status": ["Only a failed message can be sent again."]}
    assert api.post("/api/v1/messages/", {"to": "x"}, format="json").status_code == 405


def test_message_api_is_for_administrators(users, api_for):
    queue_email(users["admin"])
    for role in ("manager", "sales_rep", "support_agent", "read_only"):
        assert api_for(users[role]).get("/api/v1/messages/").status_code == 403


def test_schema_documents_the_resources_with_examples(api_schema):
    schema = api_schema()
    paths = schema["paths"]
    for path in (
        "/api/v1/messages/",
        "/api/v1/messages/{id}/retry/",
        "/api/v1/webhooks/",
        "/api/v1/webhooks/{id}/",
        "/api/v1/webhook-deliveries/",
        "/api/v1/email-templates/",
    ):
        assert path in paths, path
    created = paths["/api/v1/webhooks/"]["post"]
    assert "secret" in str(created["responses"]["201"])
    assert created["requestBody"]["content"]["application/json"]["examples"]
    listed = paths["/api/v1/messages/"]["get"]["responses"]["200"]["content"]["application/json"]
    assert listed["examples"]

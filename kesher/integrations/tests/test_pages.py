"""The integrations pages: the template editor with its live preview and test send, the
message log, webhooks and deliveries; who may open them (issue 5 items 4, 8, 9; REQ AU-1)."""

import pytest
from django.core import mail
from django.urls import reverse

from kesher.customers.tests.factories import make_account
from kesher.integrations.delivery import deliver_messages
from kesher.integrations.models import EmailTemplate, OutgoingMessage, WebhookSubscription
from kesher.integrations.services import webhook_enqueue
from kesher.integrations.tests.factories import make_template, queue_email
from kesher.org.models import RolePermission

pytestmark = pytest.mark.django_db

PAGES = [
    "/integrations/email-templates/new/",
    "/integrations/messages/",
    "/integrations/webhooks/",
    "/integrations/webhooks/deliveries/",
]


@pytest.mark.parametrize("role", ["manager", "sales_rep", "support_agent", "read_only"])
def test_pages_are_for_administrators(users, client_for, role):
    client = client_for(users[role])
    for page in PAGES:
        assert client.get(page).status_code == 403, page
    assert client.post("/integrations/webhooks/", {"name": "x"}).status_code == 403
    assert client_for(None).get(PAGES[1]).status_code == 302
    assert not WebhookSubscription.objects.exists()


def test_editor_saves_and_refuses_unknown_fields(admin_user, client_for):
    client = client_for(admin_user)
    assert client.get("/integrations/email-templates/new/").status_code == 200
    data = {
        "name": "ברוכים הבאים",
        "entity": "accounts",
        "subject_he": "שלום {{ name }}",
        "body_he": "<p>{{ no_such }}</p>",
        "active": "on",
    }
    response = client.post("/integrations/email-templates/new/", data)
    assert response.status_code == 200
    assert "{{ no_such }}" in response.content.decode()
    assert not EmailTemplate.objects.exists()
    data["body_he"] = "<p>שלום {{ name }}</p><script>x()</script>"
    response = client.post("/integrations/email-templates/new/", data)
    template = EmailTemplate.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("integrations_template_editor", args=[template.pk])
    assert "<script" not in template.body_he
    page = client.get(response["Location"]).content.decode()
    assert "send-test-he" in page
    assert "{{ owner }}" in page  # the merge fields beside the editor


def test_preview_in_hebrew_and_english(admin_user, client_for):
    account = make_account(admin_user, name="דנה <b>כהן</b>")
    client = client_for(admin_user)
    response = client.post(
        "/integrations/email-templates/preview/",
        {
            "entity": "accounts",
            "subject_he": "שלום {{ name }}",
            "body_he": "<p>שלום {{ name }}</p>",
            "subject_en": "Hello {{ name }}",
            "body_en": "<p>Hello {{ name }}</p>",
            "preview_record": account.pk,
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="preview-he"' in html
    assert 'id="preview-en"' in html
    assert '<div dir="rtl" lang="he"' in html
    assert "שלום דנה &lt;b&gt;כהן&lt;/b&gt;" in html
    assert "Hello דנה" in html


def test_preview_refuses_unknown_fields_and_invisible_records(users, client_for):
    """A user granted templates may preview only on records he may see (issue 5 item 7)."""
    rep = users["sales_rep"]
    RolePermission.objects.create(
        role=rep.role, entity="email-templates", can_view=True, scope="all"
    )
    others = make_account(users["sales_rep2"], name="not yours")
    client = client_for(rep)
    base = {"entity": "accounts", "subject_he": "x", "body_he": "<p>{{ name }}</p>"}
    response = client.post(
        "/integrations/email-templates/preview/", {**base, "preview_record": others.pk}
    )
    assert response.status_code == 400
    assert "not yours" not in response.content.decode()
    response = client.post(
        "/integrations/email-templates/preview/", {**base, "body_he": "{{ secret }}"}
    )
    assert response.status_code == 400
    assert "{{ secret }}" in response.content.decode()
    own = make_account(rep, name="mine")
    response = client.post(
        "/integrations/email-templates/preview/", {**base, "preview_record": own.pk}
    )
    assert response.status_code == 200
    assert "mine" in response.content.decode()


def test_send_test_to_me(admin_user, users, client_for):
    account = make_account(admin_user, name="דנה")
    template = make_template(admin_user)
    client = client_for(admin_user)
    response = client.post(
        f"/integrations/email-templates/{template.pk}/test/",
        {"preview_record": account.pk, "language": "en"},
    )
    assert response.status_code == 302
    message = OutgoingMessage.objects.get()
    assert message.to == admin_user.email
    assert message.language == "en"
    assert message.link_id == account.pk
    deliver_messages()
    assert mail.outbox[0].subject == "Hello דנה"
    # Never about a record the sender may not see.
    rep = users["sales_rep"]
    RolePermission.objects.create(
        role=rep.role, entity="email-templates", can_view=True, scope="all"
    )
    response = client_for(rep).post(
        f"/integrations/email-templates/{template.pk}/test/", {"preview_record": account.pk}
    )
    assert response.status_code == 302
    assert OutgoingMessage.objects.count() == 1


def test_message_log_filters_retry_and_query_count(
    admin_user, client_for, django_assert_max_num_queries
):
    account = make_account(admin_user, name="x")
    for _n in range(3):
        queue_email(admin_user, record=account)
    failed = queue_email(admin_user)
    OutgoingMessage.objects.filter(pk=failed.pk).update(status="failed", last_error="SMTP 550")
    client = client_for(admin_user)
    client.get("/integrations/messages/")  # warm caches (session, grants)
    with django_assert_max_num_queries(8):
        page = client.get("/integrations/messages/").content.decode()
    assert page.count("data-message=") == 4
    assert "SMTP 550" in page
    for _n in range(30):
        queue_email(admin_user, record=account)
    with django_assert_max_num_queries(8):
        client.get("/integrations/messages/")
    filtered = client.get(
        f"/integrations/messages/?status=failed&channel=email&link_type=accounts&link_id={failed.link_id}"
    ).content.decode()
    assert filtered.count("data-message=") == 1
    assert client.get("/integrations/messages/?status=bogus&link_id=abc").status_code == 200
    response = client.post(f"/integrations/messages/{failed.pk}/retry/")
    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.status == "queued"


def test_message_log_pages_by_id(admin_user, client_for):
    account = make_account(admin_user, name="x")
    for _n in range(55):
        queue_email(admin_user, record=account)
    client = client_for(admin_user)
    first = client.get("/integrations/messages/").content.decode()
    assert first.count("data-message=") == 50
    assert 'id="older-messages"' in first
    oldest_shown = OutgoingMessage.objects.order_by("-id")[49].pk
    second = client.get(f"/integrations/messages/?before={oldest_shown}").content.decode()
    assert second.count("data-message=") == 5


def test_messages_show_on_the_record_timeline(admin_user, users, client_for):
    rep = users["sales_rep"]
    account = make_account(rep, name="x", owner=rep)
    queue_email(admin_user, record=account)
    page = client_for(rep).get(f"/r/accounts/{account.pk}/timeline/").content.decode()
    assert "שלום x" in page
    assert "dana@example.co.il" in page


def test_webhook_page_shows_the_secret_once(admin_user, client_for):
    client = client_for(admin_user)
    response = client.post(
        "/integrations/webhooks/",
        {"name": "ERP", "url": "https://erp.example.co.il/in", "events": ["created", "updated"]},
    )
    assert response.status_code == 200
    subscription = WebhookSubscription.objects.get()
    assert subscription.secret in response.content.decode()
    assert subscription.events == ["created", "updated"]
    assert subscription.secret not in client.get("/integrations/webhooks/").content.decode()
    bad = client.post("/integrations/webhooks/", {"name": "", "url": "nope", "events": []})
    assert bad.status_code == 400
    assert WebhookSubscription.objects.count() == 1
    client.post(f"/integrations/webhooks/{subscription.pk}/delete/")
    assert not WebhookSubscription.objects.exists()


def test_dead_letter_page_and_retry(admin_user, client_for):
    delivery = webhook_enqueue(
        url="https://x.example/h",
        secret="s",
        event="e",
        payload={},
        source="t",
        idempotency_key="k",
    )
    type(delivery).objects.filter(pk=delivery.pk).update(status="dead", last_error="timed out")
    client = client_for(admin_user)
    page = client.get("/integrations/webhooks/deliveries/?status=dead").content.decode()
    assert f'data-delivery="{delivery.pk}"' in page
    assert "timed out" in page
    assert client.post(f"/integrations/webhooks/deliveries/{delivery.pk}/retry/").status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == "pending"

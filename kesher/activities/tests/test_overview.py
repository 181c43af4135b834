"""The customer 360° view: key figures, alerts banner (rules in the filter language and manual
alerts with an expiry), the timeline filtered by kind, its API, and a bounded query count
(REQ CU-7, CU-8; issue 4 item 6)."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from kesher.activities import overview
from kesher.activities.models import AlertRule, ManualAlert, Task
from kesher.activities.services import alert_rule_create, manual_alert_create
from kesher.activities.tests.factories import choice, make_interaction, make_task
from kesher.customers.tests.factories import make_account, make_contact

pytestmark = pytest.mark.django_db

NO_CONTACT_90 = {
    "any": [
        {"field": "last_contact_at", "op": "empty"},
        {"not": {"field": "last_contact_at", "op": "within_last_days", "value": 90}},
    ]
}


def _vip_rule(admin):
    return alert_rule_create(
        actor=admin,
        data={
            "name": "VIP",
            "entity": "accounts",
            "condition": {"field": "status", "op": "eq", "value": "vip"},
            "message": "לקוח VIP",
            "level": "warning",
        },
    )


def test_figures_count_open_and_overdue_tasks_and_last_contact(users):
    rep = users["sales_rep"]
    account = make_account(rep)
    make_task(rep, account, due_at=timezone.now() + datetime.timedelta(days=1))
    late = make_task(rep, account, due_at=timezone.now() + datetime.timedelta(days=1))
    Task.objects.filter(pk=late.pk).update(due_at=timezone.now() - datetime.timedelta(hours=2))
    make_task(users["sales_rep2"], make_account(users["sales_rep2"]))  # another account
    make_interaction(rep, account, occurred_at=timezone.now() - datetime.timedelta(days=3))
    account.refresh_from_db()
    figures = {f["key"]: f for f in overview.figures_for(account, rep)}
    assert figures["open_tasks"]["value"] == 2
    assert figures["overdue_tasks"]["value"] == 1
    assert figures["overdue_tasks"]["tone"] == "danger"
    assert figures["last_contact"]["value"] != "never"
    # Slots later modules fill are there: tickets by service, the rest empty until filled.
    assert figures["open_tickets"]["value"] == "0 פתוחות מתוך 0"
    assert figures["payment_behaviour"]["value"] is None


def test_a_module_fills_a_slot(users):
    rep = users["sales_rep"]
    account = make_account(rep)
    original = overview._figures.get("open_tickets")
    overview.register_figure(
        overview.Figure("open_tickets", "Open tickets", lambda record, user: 7, order=40)
    )
    try:
        figures = {f["key"]: f["value"] for f in overview.figures_for(account, rep)}
        assert figures["open_tickets"] == 7
    finally:
        overview._figures.pop("open_tickets")
        if original:
            overview._figures["open_tickets"] = original


def test_alert_rules_match_in_one_query(users, django_assert_max_num_queries):
    admin, rep = users["admin"], users["sales_rep"]
    _vip_rule(admin)
    alert_rule_create(
        actor=admin,
        data={
            "name": "90",
            "entity": "accounts",
            "condition": NO_CONTACT_90,
            "message": "אין קשר 90 יום",
        },
    )
    alert_rule_create(
        actor=admin,
        data={
            "name": "off",
            "condition": {"field": "name", "op": "contains", "value": "x"},
            "message": "כבוי",
            "active": False,
        },
    )
    vip = make_account(rep, status=choice("account_status", "vip"))
    recent = make_account(rep)
    make_interaction(rep, recent)
    recent.refresh_from_db()
    vip.refresh_from_db()
    # The rules, the pick-list value "vip" the condition names, one query of every rule's
    # CASE, the manual alerts, and the customer's invoices ("debt overdue", kesher.billing).
    with django_assert_max_num_queries(5):
        messages = [a["message"] for a in overview.alerts_for(vip, rep)]
    assert messages == ["אין קשר 90 יום", "לקוח VIP"]  # by rule name
    assert overview.alerts_for(recent, rep) == []


def test_bad_condition_is_refused_with_nothing_written(users, api_for):
    api = api_for(users["admin"], "en")
    response = api.post(
        "/api/v1/alert-rules/",
        {
            "name": "bad",
            "entity": "accounts",
            "condition": {"field": "no_such_field", "op": "eq", "value": 1},
            "message": "x",
        },
        format="json",
    )
    assert response.status_code == 400
    assert "condition" in response.json()
    assert not AlertRule.objects.exists()
    ok = api.post(
        "/api/v1/alert-rules/",
        {"name": "ok", "entity": "accounts", "condition": NO_CONTACT_90, "message": "x"},
        format="json",
    )
    assert ok.status_code == 201, ok.content
    # Only administrators manage rules.
    assert api_for(users["manager"]).get("/api/v1/alert-rules/").status_code == 403


def test_manual_alerts_expire_and_follow_scope(users, api_for):
    rep, rep2 = users["sales_rep"], users["sales_rep2"]
    account = make_account(rep)
    soon = timezone.now() + datetime.timedelta(days=2)
    alert = manual_alert_create(
        actor=rep,
        data={
            "message": "לא להתקשר בבוקר",
            "expires_at": soon,
            "link_type": "accounts",
            "link_id": account.pk,
        },
    )
    assert [a["id"] for a in overview.alerts_for(account, rep)] == [alert.pk]
    ManualAlert.objects.filter(pk=alert.pk).update(expires_at=timezone.now())
    assert overview.alerts_for(account, rep) == []
    # Someone who may not see the account cannot put an alert on it.
    response = api_for(rep2, "en").post(
        "/api/v1/manual-alerts/",
        {
            "message": "x",
            "expires_at": soon.isoformat(),
            "link_type": "accounts",
            "link_id": account.pk,
        },
        format="json",
    )
    assert response.status_code == 400
    assert "link_id" in response.json()
    past = api_for(rep, "en").post(
        "/api/v1/manual-alerts/",
        {
            "message": "x",
            "expires_at": "2020-01-01T10:00:00+02:00",
            "link_type": "accounts",
            "link_id": account.pk,
        },
        format="json",
    )
    assert past.status_code == 400
    assert "expires_at" in past.json()
    assert ManualAlert.objects.count() == 1


def test_banner_and_figures_on_the_account_page(users, client_for):
    admin, rep = users["admin"], users["sales_rep"]
    _vip_rule(admin)
    account = make_account(rep, status=choice("account_status", "vip"))
    page = client_for(rep).get(f"/r/accounts/{account.pk}/").content.decode()
    assert 'id="record-alerts"' in page
    assert "לקוח VIP" in page
    assert 'id="key-figures"' in page
    assert 'data-figure="open_tickets"' in page
    # The banner comes before the record's fields.
    assert page.index('id="record-alerts"') < page.index("record-fields")


def test_figures_and_history_filter_on_the_contact_page(users, client_for):
    rep = users["sales_rep"]
    contact = make_contact(rep, first_name="דנה", last_name="לוי")
    make_task(rep, contact, title="להתקשר לדנה", due_at=timezone.now() - datetime.timedelta(days=1))
    page = client_for(rep).get(f"/r/contacts/{contact.pk}/").content.decode()
    assert 'id="key-figures"' in page
    assert 'id="timeline-kind"' in page
    figures = {f["key"]: f["value"] for f in overview.figures_for(contact, rep)}
    assert (figures["open_tasks"], figures["overdue_tasks"]) == (1, 1)
    # Service fills the tickets slot for contacts too (kesher.service.overview).
    assert 'data-figure="open_tickets"' in page


def test_quick_manual_alert_from_the_page(users, client_for):
    rep = users["sales_rep"]
    account = make_account(rep)
    url = reverse("activities_quick", args=["manual-alerts", "accounts", account.pk])
    expires = (timezone.localtime() + datetime.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    response = client_for(rep).post(
        url, {"message": "לקוח רגיש", "level": "danger", "expires_at": expires}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    alert = ManualAlert.objects.get()
    assert (alert.link_type, alert.link_id, alert.owner) == ("accounts", account.pk, rep)


def test_timeline_filter_by_kind(users, client_for):
    rep = users["sales_rep"]
    account = make_account(rep)
    make_interaction(rep, account, subject="שיחת טלפון")
    make_interaction(
        rep,
        account,
        subject="פגישת היכרות",
        kind=choice("interaction_kind", "meeting"),
        occurred_at=timezone.now() - datetime.timedelta(hours=1),
    )
    make_task(rep, account, title="לשלוח הצעה")
    url = reverse("entity_timeline", args=["accounts", account.pk])
    client = client_for(rep)
    everything = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "פגישת היכרות" in everything
    assert "לשלוח הצעה" in everything
    meetings = client.get(url + "?kind=meeting", headers={"HX-Request": "true"}).content.decode()
    assert "פגישת היכרות" in meetings
    assert "שיחת טלפון" not in meetings
    assert "לשלוח הצעה" not in meetings
    tasks = client.get(url + "?kind=tasks").content.decode()
    assert "לשלוח הצעה" in tasks
    assert "שיחת טלפון" not in tasks
    changes = client.get(url + "?kind=changes").content.decode()
    assert "שיחת טלפון" not in changes
    assert "לשלוח הצעה" not in changes
    assert changes.count('<li class="list-group-item small">') == 1  # the account's creation
    assert client_for(users["sales_rep2"]).get(url).status_code == 404


def test_the_page_has_one_timeline_with_the_filter_by_kind(users, client_for):
    """The 360° view's history and the record's timeline were the same events twice (issue 14
    item 7): one timeline is left, beside the activities, its filter offering every kind."""
    rep = users["sales_rep"]
    account = make_account(rep)
    page = client_for(rep).get(f"/r/accounts/{account.pk}/").content.decode()
    assert page.count('id="timeline"') == 1
    assert "overview-timeline" not in page
    select = page.split('id="timeline-kind"')[1].split("</select>")[0]
    kinds = re.findall(r'<option value="([^"]*)">', select)
    assert kinds[:2] == ["", "changes"]
    assert {"tasks", "call", "meeting"} <= set(kinds)


def test_overview_api(users, api_for):
    admin, rep = users["admin"], users["sales_rep"]
    _vip_rule(admin)
    account = make_account(rep, status=choice("account_status", "vip"))
    make_task(rep, account)
    data = api_for(rep).get(f"/api/v1/overview/accounts/{account.pk}/").json()
    figures = {f["key"]: f["value"] for f in data["figures"]}
    assert figures["open_tasks"] == 1
    assert figures["open_opportunities"] == "0 · ₪0.00"  # filled by sales
    assert figures["open_tickets"] == "0 פתוחות מתוך 0"  # filled by service
    assert data["alerts"][0]["message"] == "לקוח VIP"
    assert (
        api_for(users["sales_rep2"]).get(f"/api/v1/overview/accounts/{account.pk}/").status_code
        == 404
    )
    assert api_for(rep).get("/api/v1/overview/tasks/1/").status_code == 404
    assert api_for(None).get(f"/api/v1/overview/accounts/{account.pk}/").status_code in (401, 403)


@pytest.mark.parametrize("count", [2, 40])
def test_360_query_count_is_bounded(users, client_for, django_assert_max_num_queries, count):
    """The account page with its 360° view costs the same number of queries whatever the
    account holds (issue 4: "a bounded query count asserted in a test")."""
    admin, rep = users["admin"], users["sales_rep"]
    _vip_rule(admin)
    account = make_account(rep)
    for n in range(count):
        make_task(rep, account, title=f"משימה {n}")
        make_interaction(rep, account, subject=f"שיחה {n}")
    manual_alert_create(
        actor=rep,
        data={
            "message": "שים לב",
            "expires_at": timezone.now() + datetime.timedelta(days=1),
            "link_type": "accounts",
            "link_id": account.pk,
        },
    )
    client = client_for(rep)
    client.get(f"/r/accounts/{account.pk}/")
    with django_assert_max_num_queries(45):
        assert client.get(f"/r/accounts/{account.pk}/").status_code == 200
    url = reverse("entity_timeline", args=["accounts", account.pk])
    with django_assert_max_num_queries(16):
        assert client.get(url, headers={"HX-Request": "true"}).status_code == 200

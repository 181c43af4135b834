"""A customer's usual payment terms, the alert "debt overdue" and the automation trigger
"an invoice becomes overdue" (issue 17 item 3; REQ CU-7, CU-8, AU-1; decision 0076)."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from kesher.activities.models import Task, TaskTemplate
from kesher.activities.overview import alerts_for
from kesher.activities.task_templates import task_template_create
from kesher.automation.engine import invalidate_rules
from kesher.automation.models import Rule, RuleRun
from kesher.automation.schedule import scan_scheduled
from kesher.automation.services import rule_create
from kesher.automation.worker import process_due
from kesher.billing.models import CustomerTerms, DocumentKind, PaymentTerms
from kesher.billing.services import (
    PaymentInput,
    customer_terms_set,
    document_from_order,
    document_issue,
    receipt_for,
)
from kesher.customers.models import Account
from kesher.platform.models import AuditEntry, Choice

pytestmark = pytest.mark.django_db

SHOTEF_30 = "שוטף + 30"


def _terms(name=SHOTEF_30):
    return PaymentTerms.objects.get(name=name)


def _invoice(users, order, *, days_ago=None, issue=True):
    """An invoice of ``order``; ``days_ago``: dated so, due that day (terms "מיידי")."""
    data = {}
    if days_ago is not None:
        data = {
            "doc_date": timezone.localdate() - datetime.timedelta(days=days_ago),
            "payment_terms": _terms("מיידי"),
        }
    draft = document_from_order(
        order, actor=users["sales_rep"], kind=DocumentKind.TAX_INVOICE, **data
    )
    return document_issue(draft, actor=users["sales_rep"]) if issue else draft


def _cash(amount):
    return [PaymentInput(method="cash", amount=Decimal(amount))]


# --- the customer's usual terms ---------------------------------------------------------------


def test_an_invoice_takes_the_customer_s_terms_unless_it_names_others(users, business, make_order):
    customer_terms_set(business, actor=users["sales_rep"], terms=_terms())
    invoice = _invoice(users, make_order(business))
    assert invoice.payment_terms == _terms()
    assert invoice.due_date == _terms().due_date(invoice.doc_date)
    named = document_from_order(
        make_order(business),
        actor=users["sales_rep"],
        kind=DocumentKind.TAX_INVOICE,
        payment_terms=_terms("30 יום"),
    )
    assert named.payment_terms == _terms("30 יום")
    note = document_from_order(
        make_order(business), actor=users["sales_rep"], kind=DocumentKind.DELIVERY_NOTE
    )
    assert note.payment_terms is None


def test_setting_terms_is_recorded_and_retired_terms_are_refused(users, business):
    rep = users["sales_rep"]
    customer_terms_set(business, actor=rep, terms=_terms())
    customer_terms_set(business, actor=rep, terms=_terms())  # unchanged: nothing written
    entries = AuditEntry.objects.filter(object_id=business.pk, changes__has_key="payment_terms")
    assert entries.count() == 1
    retired = PaymentTerms.objects.create(name="שוטף + 120", basis="eom", days=120, active=False)
    with pytest.raises(ValidationError):
        customer_terms_set(business, actor=rep, terms=retired)
    assert CustomerTerms.objects.get(account=business).terms == _terms()
    customer_terms_set(business, actor=rep, terms=None)
    assert not CustomerTerms.objects.filter(account=business).exists()


def test_the_api_reads_and_sets_the_terms(users, business, api_for):
    api = api_for(users["sales_rep"])
    url = f"/api/v1/accounts/{business.pk}/payment-terms/"
    assert api.get(url).json() == {"payment_terms": None, "name": None}
    answer = api.put(url, {"payment_terms": _terms().pk}, format="json")
    assert answer.status_code == 200
    assert answer.json() == {"payment_terms": _terms().pk, "name": SHOTEF_30}
    retired = PaymentTerms.objects.create(name="ישן", basis="date", days=5, active=False)
    refused = api.put(url, {"payment_terms": retired.pk}, format="json")
    assert refused.status_code == 400
    assert "אינם בשימוש" in refused.content.decode()
    assert api.get(url).json()["payment_terms"] == _terms().pk


def test_only_who_may_change_the_account_sets_its_terms(users, business, api_for):
    url = f"/api/v1/accounts/{business.pk}/payment-terms/"
    body = {"payment_terms": _terms().pk}
    assert api_for(users["sales_rep2"]).get(url).status_code == 404
    assert api_for(users["sales_rep2"]).put(url, body, format="json").status_code == 404
    assert api_for(users["read_only"]).put(url, body, format="json").status_code == 403
    assert not CustomerTerms.objects.exists()


def test_the_account_page_shows_and_sets_the_terms(users, business, client_for):
    client = client_for(users["sales_rep"])
    page = client.get(f"/r/accounts/{business.pk}/").content.decode()
    assert 'id="account-terms-form"' in page
    done = client.post(f"/accounts/{business.pk}/payment-terms/", {"payment_terms": _terms().pk})
    assert done.status_code == 302
    assert CustomerTerms.objects.get(account=business).terms == _terms()
    viewer = client_for(users["read_only"]).get(f"/r/accounts/{business.pk}/").content.decode()
    assert 'id="account-terms-form"' not in viewer
    assert SHOTEF_30 in viewer
    refused = client_for(users["read_only"]).post(
        f"/accounts/{business.pk}/payment-terms/", {"payment_terms": ""}
    )
    assert refused.status_code == 403
    assert CustomerTerms.objects.filter(account=business).exists()


# --- the alert "debt overdue" -----------------------------------------------------------------


def test_an_overdue_invoice_raises_the_alert_with_amount_and_oldest_due_date(
    users, business, make_order
):
    assert not [a for a in alerts_for(business, users["sales_rep"]) if a["source"] == "billing"]
    old = _invoice(users, make_order(business, "1"), days_ago=20)  # 90 + 16.20 VAT
    _invoice(users, make_order(business, "1"), days_ago=5)
    _invoice(users, make_order(business, "1"))  # not due yet
    receipt_for(old, actor=users["sales_rep"], payments=_cash("6.20"))
    account = Account.objects.get(pk=business.pk)  # the page's object, read anew
    (alert,) = [a for a in alerts_for(account, users["sales_rep"]) if a["source"] == "billing"]
    assert alert["level"] == "danger"
    assert "₪206.20" in alert["message"]  # 100.00 + 106.20
    assert old.due_date.strftime("%d/%m/%Y") in alert["message"]


def test_the_alert_shows_on_the_page_and_overview_only_to_who_sees_the_account(
    users, business, make_order, client_for, api_for
):
    _invoice(users, make_order(business, "1"), days_ago=10)
    page = client_for(users["sales_rep"]).get(f"/r/accounts/{business.pk}/").content.decode()
    assert 'data-source="billing"' in page
    assert "₪106.20" in page
    overview = f"/api/v1/overview/accounts/{business.pk}/"
    alerts = api_for(users["sales_rep"]).get(overview).json()["alerts"]
    assert [a["source"] for a in alerts] == ["billing"]
    other = users["sales_rep2"]
    assert client_for(other).get(f"/r/accounts/{business.pk}/").status_code == 404
    assert api_for(other).get(overview).status_code == 404
    assert api_for(other).get(f"/api/v1/accounts/{business.pk}/billing/").status_code == 404


# --- the automation trigger "an invoice becomes overdue" --------------------------------------


@pytest.fixture(autouse=True)
def _fresh_rules():
    """Each test starts with no compiled rules cached from another test."""
    invalidate_rules()
    yield
    invalidate_rules()


@pytest.fixture
def remind(users):
    """A task template: "call about invoice …", for the invoice's owner."""
    return task_template_create(
        actor=users["admin"],
        data={
            "name": "Collect",
            "task_type": Choice.objects.get(list_key="task_type", value="call_back"),
            "title": "Collect {{number}}",
            "due_offset": 1,
            "due_unit": "days",
            "assignee_rule": TaskTemplate.AssigneeRule.OWNER,
        },
    )


def _rule(admin, remind, **extra):
    return rule_create(
        actor=admin,
        data={
            "name": "Invoice overdue",
            "entity": "tax-documents",
            "trigger_kind": "invoice_overdue",
            "actions": [{"type": "create_task", "template": remind.pk}],
            **extra,
        },
    )


def _rewind(rule, days):
    since = timezone.now() - datetime.timedelta(days=days)
    Rule.objects.filter(pk=rule.pk).update(scanned_until=since)


def test_an_invoice_becoming_overdue_fires_once(users, business, make_order, remind):
    rule = _rule(users["admin"], remind)
    late = _invoice(users, make_order(business, "1"), days_ago=2)
    paid = _invoice(users, make_order(business, "1"), days_ago=2)
    receipt_for(paid, actor=users["sales_rep"], payments=_cash("106.20"))
    _invoice(users, make_order(business, "1"))  # due at the end of next month
    _rewind(rule, 5)
    assert scan_scheduled() == 1
    assert RuleRun.objects.get(rule=rule).record_id == late.pk
    assert process_due() == 1
    task = Task.objects.get(link_type="tax-documents", link_id=late.pk)
    assert task.title == f"Collect {late.number}"
    # A partial payment leaves it owed: the next ticks, even over the same window, fire
    # nothing again.
    receipt_for(late, actor=users["sales_rep"], payments=_cash("50"))
    scan_scheduled()
    _rewind(rule, 5)
    scan_scheduled()
    assert RuleRun.objects.filter(rule=rule, record_id=late.pk).count() == 1


def test_an_invoice_issued_after_its_due_date_fires_when_issued(
    users, business, make_order, remind
):
    rule = _rule(users["admin"], remind)
    draft = _invoice(users, make_order(business, "1"), days_ago=30, issue=False)
    scan_scheduled()  # the rule's window starts now; its due date passed long before
    assert Rule.objects.get(pk=rule.pk).scanned_until is not None
    document_issue(draft, actor=users["sales_rep"])
    assert scan_scheduled() == 1
    assert scan_scheduled() == 0


def test_overdue_before_the_rule_existed_does_not_fire(users, business, make_order, remind):
    _invoice(users, make_order(business, "1"), days_ago=30)
    _rule(users["admin"], remind)
    assert scan_scheduled() == 0  # the rule's first tick starts its window
    assert scan_scheduled() == 0


def test_the_rule_s_condition_narrows_the_invoices(users, business, make_order, remind):
    rule = _rule(
        users["admin"],
        remind,
        condition={"all": [{"field": "total", "op": "gt", "value": "200"}]},
    )
    _invoice(users, make_order(business, "1"), days_ago=1)
    big = _invoice(users, make_order(business, "3"), days_ago=1)
    _rewind(rule, 3)
    assert scan_scheduled() == 1
    assert RuleRun.objects.get(rule=rule).record_id == big.pk


def test_the_trigger_is_for_invoices_only_and_has_no_settings(users, remind):
    data = {
        "name": "x",
        "trigger_kind": "invoice_overdue",
        "actions": [{"type": "create_task", "template": remind.pk}],
    }
    with pytest.raises(ValidationError):
        rule_create(actor=users["admin"], data={**data, "entity": "accounts"})
    with pytest.raises(ValidationError):
        rule_create(
            actor=users["admin"],
            data={**data, "entity": "tax-documents", "trigger_config": {"days": 3}},
        )

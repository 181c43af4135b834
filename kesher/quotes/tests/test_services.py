"""Quotes and orders: priced lines, totals, issuing, versions, acceptance and discount
approval (REQ SA-9, SA-10, SV-12; decisions 0065, 0068)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from kesher.activities.models import Interaction
from kesher.approvals.services import approval_decide
from kesher.platform import events
from kesher.quotes.models import Order, Quote, QuoteLine
from kesher.quotes.services import (
    QUOTE_ACCEPTED,
    order_confirm,
    order_create,
    order_set_lines,
    quote_accept,
    quote_expire_due,
    quote_from_opportunity,
    quote_reject,
    quote_request_approval,
    quote_revise,
    quote_send,
    quote_set_lines,
    quote_update,
)
from kesher.quotes.tests.factories import line, make_quote
from kesher.sales.tests.factories import make_opportunity

pytestmark = pytest.mark.django_db


def test_lines_are_priced_and_totals_are_sums_of_counted_lines(users, account, catalogue):
    """SA-10, decision 0065: a line takes the list's price; optional lines are offered, not
    counted; the document's totals are sums of its rounded lines; the cost gives the margin."""
    rep = users["sales_rep"]
    quote = make_quote(
        rep,
        account,
        line(catalogue["laptop"], "3", "5"),
        line(catalogue["laptop"], "1", optional=True),
    )
    first, optional = quote.lines.all()
    assert first.unit_price == Decimal("90.00")
    assert first.source == "מחירון כללי"
    assert first.gross == Decimal("270.00")
    assert first.discount == Decimal("13.50")
    assert first.net == Decimal("256.50")
    assert first.vat == Decimal("46.17")
    assert optional.optional
    assert (quote.gross, quote.net, quote.vat, quote.total) == (
        Decimal("270.00"),
        Decimal("256.50"),
        Decimal("46.17"),
        Decimal("302.67"),
    )
    assert quote.cost == Decimal("180.00")
    assert quote.margin == Decimal("76.50")
    assert not quote.over_limit
    assert quote.number == ""  # a draft has no number


def test_a_bad_line_writes_nothing(users, account, catalogue):
    quote = make_quote(users["sales_rep"], account, line(catalogue["laptop"]))
    with pytest.raises(ValidationError) as error:
        quote_set_lines(
            quote,
            actor=users["sales_rep"],
            lines=[line(catalogue["laptop"], "2"), line(catalogue["laptop"], "0")],
        )
    assert "lines" in error.value.message_dict
    assert QuoteLine.objects.filter(quote=quote).count() == 1


def test_sending_numbers_and_freezes_the_quote(users, account, catalogue):
    """SA-10, decision 0068: the number comes when the quote is issued, consecutively."""
    rep = users["sales_rep"]
    first = quote_send(make_quote(rep, account, line(catalogue["laptop"])), actor=rep)
    second = quote_send(make_quote(rep, account, line(catalogue["laptop"])), actor=rep)
    assert (first.number, second.number) == ("Q-00001", "Q-00002")
    assert first.status == Quote.Status.SENT
    with pytest.raises(ValidationError):
        quote_set_lines(first, actor=rep, lines=[line(catalogue["laptop"], "2")])
    with pytest.raises(ValidationError):
        quote_update(first, actor=rep, data={"terms": "אחר"})


def test_an_empty_draft_is_not_sent(users, account):
    quote = make_quote(users["sales_rep"], account)
    with pytest.raises(ValidationError):
        quote_send(quote, actor=users["sales_rep"])
    quote.refresh_from_db()
    assert quote.number == ""


def test_sending_a_stale_copy_checks_the_quote_as_it_is(users, account, catalogue):
    """Decision 0100: the checks run before the transaction on the caller's copy; a copy
    older than the row is read again — refused when the row now needs approval, sent as the
    row is otherwise."""
    rep = users["sales_rep"]
    quote = make_quote(rep, account, line(catalogue["laptop"]))
    stale = Quote.objects.get(pk=quote.pk)
    quote_set_lines(quote, actor=rep, lines=[line(catalogue["laptop"], "2", "15")])
    with pytest.raises(ValidationError) as refused:
        quote_send(stale, actor=rep)
    assert refused.value.message_dict["__all__"] == [
        "הנחה מעל המגבלה: ההצעה תישלח לאחר אישור ההנחה."
    ]
    assert Quote.objects.get(pk=quote.pk).number == ""
    stale = Quote.objects.get(pk=quote.pk)
    current = quote_set_lines(quote, actor=rep, lines=[line(catalogue["laptop"], "3")])
    sent = quote_send(stale, actor=rep)
    assert (sent.number, sent.status, sent.total) == ("Q-00001", "sent", current.total)
    row = Quote.objects.get(pk=quote.pk)
    assert (row.number, row.number_value, row.status, row.version) == (
        "Q-00001",
        1,
        "sent",
        sent.version,
    )
    assert row.sent_at == sent.sent_at


def test_a_quote_changed_between_the_check_and_the_lock_is_checked_again(
    users, account, catalogue, monkeypatch
):
    """Decision 0100: a write between the checks and the numbering lock moves the version on;
    sending reads the quote again rather than numbering what it did not check; an approval
    asked in between (which leaves the version) refuses with the edit lock's reason."""
    from kesher.approvals.lock import pending_approval_reason
    from kesher.approvals.models import ApprovalProcess, ApprovalRequest
    from kesher.platform.models import AuditEntry
    from kesher.quotes import services

    rep = users["sales_rep"]
    checked = []
    original = services._check_sendable

    def check_then_edit(quote):
        original(quote)
        checked.append(quote.version)
        if len(checked) == 1:  # someone saves the quote just after the first check
            Quote.objects.filter(pk=quote.pk).update(version=quote.version + 1)

    monkeypatch.setattr(services, "_check_sendable", check_then_edit)
    quote = make_quote(rep, account, line(catalogue["laptop"]))
    sent = quote_send(quote, actor=rep)
    assert checked == [quote.version, quote.version + 1]
    assert (sent.number, Quote.objects.get(pk=quote.pk).version) == ("Q-00001", sent.version)
    assert AuditEntry.objects.filter(object_id=quote.pk, changes__number__1="Q-00001").count() == 1

    def check_then_ask(quote):
        original(quote)
        ApprovalRequest.objects.create(
            process=ApprovalProcess.objects.filter(entity="quotes").first(),
            link_type="quotes",
            link_id=quote.pk,
            record_repr=str(quote),
        )

    monkeypatch.setattr(services, "_check_sendable", check_then_ask)
    other = make_quote(rep, account, line(catalogue["laptop"]))
    with pytest.raises(ValidationError) as refused:
        quote_send(other, actor=rep)
    assert refused.value.message_dict["__all__"] == [
        pending_approval_reason(Quote.objects.get(pk=other.pk))
    ]
    assert Quote.objects.get(pk=other.pk).number == ""
    monkeypatch.setattr(services, "_check_sendable", original)
    QuoteLine.objects.filter(quote=other).delete()  # lines gone without a save of the quote
    ApprovalRequest.objects.filter(link_id=other.pk).delete()
    with pytest.raises(ValidationError) as refused:
        quote_send(other, actor=rep)
    assert "lines" in refused.value.message_dict
    assert third_number(rep, account, catalogue) == "Q-00002"  # no number was spent


def third_number(rep, account, catalogue) -> str:
    return quote_send(make_quote(rep, account, line(catalogue["laptop"])), actor=rep).number


def test_a_discount_above_the_limit_waits_for_approval(
    users, account, catalogue, django_capture_on_commit_callbacks
):
    """SA-9: a rep's 15% (limit 10%) cannot be sent until a manager approves; a change of the
    lines after the approval needs a new one."""
    rep, manager = users["sales_rep"], users["manager"]
    quote = make_quote(rep, account, line(catalogue["laptop"], "2", "15"))
    assert quote.over_limit
    assert quote.needs_approval
    with pytest.raises(ValidationError):
        quote_send(quote, actor=rep)
    request = quote_request_approval(quote, actor=rep)
    with pytest.raises(ValidationError):  # locked while the round is pending
        quote_set_lines(quote, actor=rep, lines=[line(catalogue["laptop"], "2", "5")])
    with pytest.raises(ValidationError):
        quote_send(quote, actor=rep)
    with django_capture_on_commit_callbacks(execute=True):
        approval_decide(request, actor=manager, decision="approve")
    quote.refresh_from_db()
    assert quote.discount_approved
    assert quote_send(quote, actor=rep).status == Quote.Status.SENT


def test_changing_approved_lines_needs_approval_again(
    users, account, catalogue, django_capture_on_commit_callbacks
):
    rep, manager = users["sales_rep"], users["manager"]
    quote = make_quote(rep, account, line(catalogue["laptop"], "2", "15"))
    request = quote_request_approval(quote, actor=rep)
    with django_capture_on_commit_callbacks(execute=True):
        approval_decide(request, actor=manager, decision="approve")
    quote.refresh_from_db()
    quote = quote_set_lines(quote, actor=rep, lines=[line(catalogue["laptop"], "3", "15")])
    assert quote.needs_approval
    with pytest.raises(ValidationError):
        quote_send(quote, actor=rep)


def test_a_manager_within_his_limit_needs_no_approval(users, account, catalogue):
    manager = users["manager"]
    quote = make_quote(manager, account, line(catalogue["laptop"], "2", "15"))
    assert not quote.over_limit
    with pytest.raises(ValidationError):
        quote_request_approval(quote, actor=manager)
    assert quote_send(quote, actor=manager).number


def test_a_new_version_copies_the_lines_and_supersedes(users, account, catalogue):
    """SA-10: versions of a quote; the lines are copied as priced, not priced again."""
    rep = users["sales_rep"]
    sent = quote_send(make_quote(rep, account, line(catalogue["laptop"], "3")), actor=rep)
    QuoteLine.objects.filter(quote=sent).update(unit_price=Decimal("1"))  # a later change
    new = quote_revise(sent, actor=rep)
    sent.refresh_from_db()
    assert sent.status == Quote.Status.SUPERSEDED
    assert (new.status, new.revision, new.revised_from, new.number) == (
        Quote.Status.DRAFT,
        2,
        sent,
        sent.number,
    )
    assert [ln.unit_price for ln in new.lines.all()] == [Decimal("1")]
    assert new.total == sent.total
    assert "(v2)" in str(new)


def test_acceptance_makes_the_order_moves_the_deal_and_fires(
    users, account, catalogue, django_capture_on_commit_callbacks
):
    """SA-10: accepting creates the order from the lines, moves the deal to won, fires the
    "quote accepted" event and logs an interaction."""
    rep = users["sales_rep"]
    deal = make_opportunity(rep, account=account)
    quote = quote_from_opportunity(deal, actor=rep)
    assert (quote.account, quote.name) == (account, deal.name)
    quote = quote_set_lines(quote, actor=rep, lines=[line(catalogue["laptop"], "2")])
    quote_send(quote, actor=rep)
    fired = []
    events.subscribe(QUOTE_ACCEPTED, fired.append)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            order = quote_accept(quote, actor=None, via="link")
    finally:
        events.unsubscribe(QUOTE_ACCEPTED, fired.append)
    quote.refresh_from_db()
    deal.refresh_from_db()
    assert quote.status == Quote.Status.ACCEPTED
    assert order.status == Order.Status.CONFIRMED
    assert order.number == "SO-00001"
    assert order.total == quote.total
    assert order.quote == quote
    assert [ln.net for ln in order.lines.all()] == [ln.net for ln in quote.lines.all()]
    assert deal.stage.outcome == "won"
    assert [event.object_id for event in fired] == [quote.pk]
    assert Interaction.objects.filter(link_type="quotes", link_id=quote.pk).exists()
    with pytest.raises(ValidationError):
        quote_accept(quote, actor=None)


def test_an_expired_quote_cannot_be_accepted(users, account, catalogue):
    rep = users["sales_rep"]
    today = timezone.localdate()
    quote = make_quote(rep, account, line(catalogue["laptop"]), valid_until=today)
    quote_send(quote, actor=rep)
    Quote.objects.filter(pk=quote.pk).update(valid_until=today.replace(year=today.year - 1))
    with pytest.raises(ValidationError):
        quote_accept(quote, actor=None)
    assert quote_expire_due() == 1
    quote.refresh_from_db()
    assert quote.status == Quote.Status.EXPIRED
    assert not Order.objects.exists()


def test_rejecting(users, account, catalogue):
    rep = users["sales_rep"]
    quote = quote_send(make_quote(rep, account, line(catalogue["laptop"])), actor=rep)
    assert quote_reject(quote, actor=rep, reason="יקר").status == Quote.Status.REJECTED
    assert quote_revise(quote, actor=rep).status == Quote.Status.DRAFT


def test_a_quick_sale(users, account, catalogue):
    """SV-12: an order without a deal or a quote; over the seller's limit is refused."""
    rep = users["sales_rep"]
    order = order_create(actor=rep, data={"account": account})
    with pytest.raises(ValidationError):
        order_set_lines(order, actor=rep, lines=[line(catalogue["laptop"], "1", "20")])
    order = order_set_lines(order, actor=rep, lines=[line(catalogue["laptop"], "10")])
    assert order.total == Decimal("944.00")  # 10 × 80 (the break) + 18% VAT
    order = order_confirm(order, actor=rep)
    assert order.number == "SO-00001"
    assert order.status == Order.Status.CONFIRMED
    with pytest.raises(ValidationError):
        order_set_lines(order, actor=rep, lines=[line(catalogue["laptop"], "1")])


def test_an_over_limit_quote_is_not_sent_by_bulk_update_import_or_automation(
    users, account, catalogue, api_for, client_for
):
    """Issue 16, "Tests that must pass": the status is the services' alone — a bulk update
    of it is refused, quotes are not importable, and an automation rule cannot be set to
    change it; only ``quote_send`` sends, and it asks for the approval first."""
    from kesher.automation.actions import action_for
    from kesher.imports.views import importable
    from kesher.platform.registry import registry

    rep = users["sales_rep"]
    quote = make_quote(rep, account, line(catalogue["laptop"], "2", "15"))
    assert quote.needs_approval
    body = {"action": "update", "ids": [quote.pk], "field": "status", "value": "sent"}
    answer = api_for(rep, "en").post("/api/v1/bulk/quotes/", body, format="json")
    assert answer.status_code == 400, answer.content
    quote.refresh_from_db()
    assert quote.status == Quote.Status.DRAFT
    assert "quotes" not in {entity.key for entity in importable(users["admin"])}
    with pytest.raises(ValidationError):
        action_for("update_fields").validate(registry.get("quotes"), {"values": {"status": "sent"}})
    with pytest.raises(ValidationError):
        quote_send(quote, actor=rep)
    quote.refresh_from_db()
    assert quote.status == Quote.Status.DRAFT
    assert quote.number == ""


def test_sending_asks_for_a_pending_approval_once_under_the_lock(users, account, catalogue):
    """Decision 0119: quotes have an approval process (so the edit guard would ask), yet
    sending asks for a pending approval only in the statement that locks the quote — none
    before the transaction; a pending round still refuses with the guard's own reason."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    rep = users["sales_rep"]
    quote = make_quote(rep, account, line(catalogue["laptop"], "2", "5"))
    with CaptureQueriesContext(connection) as sent:
        quote_send(quote, actor=rep)
    statements = [q["sql"] for q in sent.captured_queries]
    asking = [sql for sql in statements if "approvals_approvalrequest" in sql]
    assert len(asking) == 1
    assert "quotes_quoteline" in asking[0]  # the locking read
    assert not any("platform_schemastamp" in sql for sql in statements)

    waiting = make_quote(rep, account, line(catalogue["laptop"], "2", "15"))
    quote_request_approval(waiting, actor=rep)
    waiting.refresh_from_db()
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        quote_send(waiting, actor=rep)
    assert "Waiting for approval" in str(refused.value)
    waiting.refresh_from_db()
    assert waiting.status == Quote.Status.DRAFT
    assert not waiting.number

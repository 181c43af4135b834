"""Payments against invoices, balances, terms and payment behaviour (issue 17 item 3;
REQ CU-7, CU-8), and a credit note bringing the balance back to the agora (ISRAEL.md)."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kesher.billing.models import DocumentKind, PaymentTerms, TaxDocument
from kesher.billing.selectors import account_billing, invoice_balance
from kesher.billing.services import (
    PaymentInput,
    credit_note_for,
    document_from_order,
    document_issue,
    document_set_payments,
    receipt_for,
)
from kesher.billing.tests.conftest import DAY

pytestmark = pytest.mark.django_db

CHEQUE = {"bank": "12", "branch": "600", "bank_account": "123456", "cheque_number": "1001"}


def _issued_invoice(users, order, terms="שוטף + 30", day=DAY):
    invoice = document_from_order(
        order,
        actor=users["sales_rep"],
        kind=DocumentKind.TAX_INVOICE,
        doc_date=day,
        payment_terms=PaymentTerms.objects.get(name=terms),
    )
    return document_issue(invoice, actor=users["sales_rep"])


def test_shotef_plus_n_counts_from_the_end_of_the_month():
    """ "שוטף+30": the end of the invoice's month, then 30 days (REQ CU-7)."""
    shotef = PaymentTerms.objects.get(name="שוטף + 30")
    net = PaymentTerms.objects.get(name="30 יום")
    assert shotef.due_date(datetime.date(2026, 12, 6)) == datetime.date(2027, 1, 30)
    assert shotef.due_date(datetime.date(2026, 2, 1)) == datetime.date(2026, 3, 30)
    assert net.due_date(datetime.date(2026, 12, 6)) == datetime.date(2027, 1, 5)


def test_partial_payments_by_cheque_and_transfer_with_withholding(users, business, make_order):
    invoice = _issued_invoice(users, make_order(business, "5"))  # 450 + 81 VAT = 531
    assert invoice.due_date == datetime.date(2027, 1, 30)
    cheque = PaymentInput(method="cheque", amount=Decimal("200"), paid_on=DAY, **CHEQUE)
    first = receipt_for(invoice, actor=users["sales_rep"], payments=[cheque], doc_date=DAY)
    assert first.kind == "receipt"
    assert first.status == "issued"
    assert first.number_value == 1
    assert first.payments.get().cheque_number == "1001"
    assert invoice_balance(invoice) == Decimal("331.00")
    transfer = PaymentInput(method="transfer", amount=Decimal("300"), reference="TR-77")
    receipt_for(
        invoice,
        actor=users["sales_rep"],
        payments=[transfer],
        withholding=Decimal("31"),
        doc_date=DAY,
    )
    assert invoice_balance(invoice) == 0


@pytest.mark.parametrize(
    ("payment", "message"),
    [
        (PaymentInput(method="cheque", amount=Decimal("10"), paid_on=DAY), "a cheque needs"),
        (PaymentInput(method="card", amount=Decimal("10")), "reference"),
        (PaymentInput(method="cash", amount=Decimal("0")), "above zero"),
        (PaymentInput(method="cash", amount=Decimal("10.005")), "agorot"),
        (PaymentInput(method="cash", amount=Decimal("600")), "more than the open balance"),
    ],
)
def test_a_wrong_payment_is_refused_with_nothing_written(
    users, business, make_order, payment, message
):
    invoice = _issued_invoice(users, make_order(business, "5"))
    before = TaxDocument.objects.count()
    with pytest.raises(ValidationError, match=message):
        receipt_for(invoice, actor=users["sales_rep"], payments=[payment])
    assert TaxDocument.objects.count() == before


def test_an_invoice_receipt_is_paid_in_full_as_it_is_issued(users, business, make_order):
    draft = document_from_order(
        make_order(business, "1"), actor=users["sales_rep"], kind=DocumentKind.TAX_INVOICE_RECEIPT
    )
    cash = PaymentInput(method="cash", amount=Decimal("50"))
    document_set_payments(draft, actor=users["sales_rep"], payments=[cash])
    with pytest.raises(ValidationError, match="paid in full"):
        document_issue(draft, actor=users["sales_rep"])
    full = PaymentInput(method="cash", amount=Decimal("106.20"))
    document_set_payments(draft, actor=users["sales_rep"], payments=[full])
    issued = document_issue(draft, actor=users["sales_rep"])
    assert issued.status == "issued"
    assert invoice_balance(issued) == 0


def test_the_360_view_figures_come_from_one_query(
    users, business, make_order, django_assert_num_queries
):
    """REQ CU-7, CU-8: open balance, overdue debt, days to pay against terms; one
    statement whatever the number of invoices (bench/balance.py)."""
    paid = _issued_invoice(users, make_order(business, "1"), day=datetime.date(2026, 10, 1))
    receipt_for(
        paid,
        actor=users["sales_rep"],
        payments=[PaymentInput(method="cash", amount=paid.total)],
        doc_date=datetime.date(2026, 11, 20),
    )
    late = _issued_invoice(users, make_order(business, "5"), day=datetime.date(2026, 10, 15))
    receipt_for(
        late, actor=users["sales_rep"], payments=[PaymentInput(method="cash", amount=Decimal(31))]
    )
    for _ in range(3):
        _issued_invoice(users, make_order(business, "1"))
    with django_assert_num_queries(1):
        summary = account_billing(business, today=DAY)
    assert summary.overdue == Decimal("500.00")
    assert summary.overdue_count == 1
    assert summary.open_balance == Decimal("500.00") + 3 * Decimal("106.20")
    assert summary.average_days_to_pay == 50
    assert summary.average_terms_days == 60
    assert summary.pays_late_by == -10


def test_the_360_view_shows_the_payment_behaviour(users, business, make_order):
    """REQ CU-7: the key figure "payment behaviour" — days after the terms, "—" until paid."""
    from django.utils import translation

    from kesher.activities.overview import figures_for

    def behaviour():
        business._billing_summary = None
        figures = {f["key"]: f["value"] for f in figures_for(business, users["sales_rep"])}
        return figures["payment_behaviour"]

    invoice = _issued_invoice(users, make_order(business, "1"), day=datetime.date(2026, 10, 1))
    assert behaviour() is None
    receipt_for(
        invoice,
        actor=users["sales_rep"],
        payments=[PaymentInput(method="cash", amount=invoice.total)],
        doc_date=datetime.date(2026, 12, 15),  # due 30/11 (שוטף+30): 15 days late
    )
    assert behaviour() == "15 days late on average"
    with translation.override("he"):
        assert behaviour() == "באיחור של 15 ימים בממוצע"


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    quantities=st.lists(st.integers(min_value=1, max_value=40), min_size=1, max_size=4),
    split=st.integers(min_value=0, max_value=4),
    paid_agorot=st.integers(min_value=0, max_value=5000),
)
def test_credit_notes_bring_the_balance_back_exactly(
    users, business, catalogue, quantities, split, paid_agorot
):
    """ISRAEL.md: a credit note is how an invoice is corrected; crediting every line, in one
    note or two, returns the customer's balance to what it was, to the agora — after a
    partial payment too (then the customer is owed what he paid)."""
    from kesher.quotes.services import LineInput, order_confirm, order_create, order_set_lines

    rep = users["sales_rep"]
    before = account_billing(business, today=DAY).open_balance
    order = order_create(actor=rep, data={"account": business, "doc_date": DAY})
    lines = [LineInput(product=catalogue["laptop"].pk, quantity=Decimal(q)) for q in quantities]
    order = order_confirm(order_set_lines(order, actor=rep, lines=lines), actor=rep)
    invoice = document_issue(
        document_from_order(order, actor=rep, kind=DocumentKind.TAX_INVOICE, doc_date=DAY),
        actor=rep,
    )
    paid = min(Decimal(paid_agorot) / 100, invoice.total)
    if paid:
        receipt_for(invoice, actor=rep, payments=[PaymentInput(method="cash", amount=paid)])
    positions = list(range(1, len(quantities) + 1))
    cut = min(split, len(positions))
    for part in (positions[:cut], positions[cut:]):
        if part:
            document_issue(credit_note_for(invoice, actor=rep, positions=part), actor=rep)
    after = account_billing(business, today=DAY).open_balance
    assert after == before - paid
    assert invoice_balance(invoice) == -paid


def test_a_receipt_drafted_by_hand_is_not_issued_above_the_balance(users, business, make_order):
    from kesher.billing.services import document_create

    invoice = _issued_invoice(users, make_order(business, "1"))  # 106.20
    draft = document_create(
        actor=users["sales_rep"],
        data={"kind": DocumentKind.RECEIPT, "based_on": invoice, "account": business},
    )
    cash = PaymentInput(method="cash", amount=Decimal("200"))
    document_set_payments(draft, actor=users["sales_rep"], payments=[cash])
    with pytest.raises(ValidationError, match="more than the open balance"):
        document_issue(draft, actor=users["sales_rep"])
    assert invoice_balance(invoice) == Decimal("106.20")


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    quantities=st.lists(st.integers(min_value=1, max_value=40), min_size=1, max_size=4),
    cuts=st.lists(st.integers(min_value=0, max_value=40), min_size=4, max_size=4),
)
def test_crediting_part_of_a_lines_quantity_then_the_rest_brings_the_balance_back_exactly(
    users, business, catalogue, quantities, cuts
):
    """A credit note may take part of a line's quantity (the goods partly returned), its amounts
    in proportion; a later credit note takes what is left of every line, and together they
    return the customer's balance to what it was, to the agora."""
    from kesher.quotes.services import LineInput, order_confirm, order_create, order_set_lines

    rep = users["sales_rep"]
    before = account_billing(business, today=DAY).open_balance
    order = order_create(actor=rep, data={"account": business, "doc_date": DAY})
    lines = [LineInput(product=catalogue["laptop"].pk, quantity=Decimal(q)) for q in quantities]
    order = order_confirm(order_set_lines(order, actor=rep, lines=lines), actor=rep)
    invoice = document_issue(
        document_from_order(order, actor=rep, kind=DocumentKind.TAX_INVOICE, doc_date=DAY),
        actor=rep,
    )
    parts = {
        position: Decimal(min(cut, quantity))
        for position, (quantity, cut) in enumerate(zip(quantities, cuts, strict=False), start=1)
        if min(cut, quantity) > 0
    }
    if parts:
        first = credit_note_for(invoice, actor=rep, quantities=parts)
        assert [line.quantity for line in first.lines.order_by("position")] == list(parts.values())
        document_issue(first, actor=rep)
    if any(parts.get(p, 0) < q for p, q in enumerate(quantities, start=1)):
        document_issue(credit_note_for(invoice, actor=rep), actor=rep)
    with pytest.raises(ValidationError, match="credited already"):
        credit_note_for(invoice, actor=rep)
    assert account_billing(business, today=DAY).open_balance == before
    assert invoice_balance(invoice) == 0

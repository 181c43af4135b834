"""Tax documents' services: the chain from an order, VAT by date, gap-free numbers, the lock,
printing, credit notes and allocation numbers (issue 17 items 1 and 2; ISRAEL.md)."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from kesher.billing.allocation import request_allocations
from kesher.billing.models import AllocationRequest, DocumentKind, TaxDocument
from kesher.billing.selectors import invoice_balance
from kesher.billing.services import (
    PrintMark,
    allocation_cancel,
    allocation_waive,
    credit_note_for,
    document_from_order,
    document_issue,
    document_printed,
    document_update,
    needs_allocation,
)
from kesher.billing.taxauthority import PracticeTaxAuthority, backend
from kesher.billing.tests.conftest import DAY
from kesher.customers.tests.factories import make_account

pytestmark = pytest.mark.django_db


def _invoice(users, order, kind=DocumentKind.TAX_INVOICE, **data):
    data.setdefault("doc_date", DAY)
    return document_from_order(order, actor=users["sales_rep"], kind=kind, **data)


def test_an_invoice_from_an_order_copies_its_lines_and_keeps_the_chain(users, business, make_order):
    """REQ SA-10: an order becomes a tax invoice, its lines copied as priced."""
    order = make_order(business, "5")
    invoice = _invoice(users, order)
    assert invoice.status == TaxDocument.Status.DRAFT
    assert invoice.number == ""
    assert invoice.order == order
    assert invoice.account == business
    line = invoice.lines.get()
    assert (line.quantity, line.unit_price, line.net) == (Decimal(5), Decimal(90), Decimal(450))
    assert (invoice.net, invoice.vat, invoice.total) == (order.net, order.vat, order.total)


def test_issuing_numbers_each_kind_gap_free_and_takes_vat_by_the_documents_date(
    users, business, make_order
):
    """ISRAEL.md: consecutive numbers per company and type; VAT by the date, on each line."""
    order = make_order(business, "1")
    first = document_issue(_invoice(users, order), actor=users["sales_rep"])
    note = document_issue(
        _invoice(users, order, kind=DocumentKind.DELIVERY_NOTE), actor=users["sales_rep"]
    )
    old = _invoice(users, order)
    old = document_update(
        old, actor=users["sales_rep"], data={"doc_date": datetime.date(2024, 12, 31)}
    )
    second = document_issue(old, actor=users["sales_rep"])
    assert (first.number_value, second.number_value, note.number_value) == (1, 2, 1)
    assert first.lines.get().vat_rate == Decimal("18.00")
    assert first.vat == Decimal("16.20")
    assert second.lines.get().vat_rate == Decimal("17.00")
    assert second.vat == Decimal("15.30")
    assert second.total == Decimal("105.30")
    assert second.total_ils == Decimal("105.30")


def test_a_foreign_currency_invoice_stores_the_shekel_amounts_at_its_dates_rate(
    users, business, make_order
):
    """ISRAEL.md: in a foreign currency, also the shekel amount and the exchange rate."""
    from kesher.catalogue.models import ExchangeRate

    ExchangeRate.objects.create(currency="USD", valid_from=DAY, rate=Decimal("3.650000"))
    order = make_order(business, "1", currency="USD")
    ExchangeRate.objects.create(
        currency="USD", valid_from=DAY + datetime.timedelta(days=1), rate=Decimal("3.700000")
    )
    invoice = _invoice(users, order, doc_date=DAY + datetime.timedelta(days=1))
    invoice = document_issue(invoice, actor=users["sales_rep"])
    assert invoice.exchange_rate == Decimal("3.7")
    line = invoice.lines.get()
    assert line.net_ils == (line.net * Decimal("3.7")).quantize(Decimal("0.01"))
    assert invoice.total_ils == invoice.net_ils + invoice.vat_ils


def test_an_issued_document_is_locked_for_every_service(users, business, make_order):
    """ISRAEL.md §23א: corrections only by a credit note."""
    from kesher.platform.records.services import record_delete, record_update

    invoice = document_issue(_invoice(users, make_order(business)), actor=users["sales_rep"])
    for call in (
        lambda: document_update(invoice, actor=users["admin"], data={"notes": "x"}),
        lambda: record_update(invoice, actor=users["admin"], data={"notes": "x"}),
        lambda: record_delete(invoice, actor=users["admin"]),
        lambda: document_issue(invoice, actor=users["admin"]),
    ):
        with pytest.raises(ValidationError, match="credit note"):
            call()
    invoice.refresh_from_db()
    assert invoice.notes == ""
    assert invoice.version == 2


def test_bulk_updates_and_automation_cannot_change_an_issued_document(users, business, make_order):
    from kesher.platform.records.services import edit_blocked_among

    draft = _invoice(users, make_order(business))
    issued = document_issue(_invoice(users, make_order(business)), actor=users["sales_rep"])
    blocked = edit_blocked_among("tax-documents", [draft.pk, issued.pk])
    assert set(blocked) == {issued.pk}


def test_printing_marks_the_original_once_then_copies(users, business, make_order):
    """ISRAEL.md: "מקור" on exactly one copy, "העתק" on every other; a draft "טיוטה"."""
    draft = _invoice(users, make_order(business))
    assert document_printed(draft) is PrintMark.DRAFT
    issued = document_issue(draft, actor=users["sales_rep"])
    marks = [document_printed(issued) for _ in range(3)]
    assert marks == [PrintMark.ORIGINAL, PrintMark.COPY, PrintMark.COPY]
    assert PrintMark.ORIGINAL.label == "מקור"
    assert PrintMark.COPY.label == "העתק"
    issued.refresh_from_db()
    assert issued.print_count == 3


def test_allocation_is_needed_above_the_threshold_of_the_date_only(users, business, make_order):
    """ISRAEL.md: over ₪5,000 before VAT from 1 June 2026, over ₪10,000 from 1 January."""
    private = make_account(users["sales_rep"], kind="person", name="פרטי")
    big = _invoice(users, make_order(business, "70"))  # 70 × 80 = 5,600
    assert big.net == Decimal("5600.00")
    january = _invoice(users, make_order(business, "70"), doc_date=datetime.date(2026, 3, 1))
    small = _invoice(users, make_order(business, "60"))  # 60 × 80 = 4,800
    to_person = _invoice(users, make_order(private, "70"))
    issued = [document_issue(d, actor=users["sales_rep"]) for d in (big, january, small, to_person)]
    assert [d.status for d in issued] == ["awaiting", "issued", "issued", "issued"]
    assert [needs_allocation(d) for d in issued] == [True, False, False, False]
    assert AllocationRequest.objects.filter(document=big).count() == 1
    assert document_printed(issued[0]) is PrintMark.DRAFT  # not the original until resolved


def _awaiting(users, business, make_order):
    invoice = document_issue(_invoice(users, make_order(business, "70")), actor=users["sales_rep"])
    assert invoice.status == TaxDocument.Status.AWAITING_ALLOCATION
    return invoice


def test_an_approved_allocation_number_is_stored_and_the_invoice_issued(
    users, business, make_order, tax_authority
):
    invoice = _awaiting(users, business, make_order)
    assert request_allocations() == 1
    invoice.refresh_from_db()
    assert invoice.status == "issued"
    assert invoice.allocation == "approved"
    assert invoice.allocation_number == "000000001"
    body = tax_authority.requests[0]["body"]
    assert body["invoice_id"] == invoice.number
    assert body["invoice_type"] == 305
    assert body["payment_amount"] == "5600.00"
    assert body["accounting_software_number"] == "12345678"
    assert document_printed(invoice) is PrintMark.ORIGINAL


def test_an_answer_is_recorded_under_one_lock_with_its_audit_and_only_once(
    users, business, make_order, tax_authority
):
    """Decision 0119: the answer is written by the rows' changed columns with the audit entry,
    after one statement that locks the request and the invoice; the invoice's version moves
    on; an answer for a request no longer "sending" (a late one) writes nothing."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kesher.billing.allocation import _record
    from kesher.billing.taxauthority import Answer
    from kesher.platform.models import AuditEntry

    invoice = _awaiting(users, business, make_order)
    request = AllocationRequest.objects.select_related("document__account").get(document=invoice)
    AllocationRequest.objects.filter(pk=request.pk).update(status="sending")
    with CaptureQueriesContext(connection) as recorded:
        assert _record(request, Answer(approved=True, number="000000042")) == "approved"
    reads = [q["sql"] for q in recorded.captured_queries if q["sql"].startswith("SELECT")]
    assert len(reads) == 1
    assert "billing_taxdocument" in reads[0]  # the invoice locked with its request
    invoice.refresh_from_db()
    assert (invoice.status, invoice.allocation_number) == ("issued", "000000042")
    assert invoice.version == request.document.version
    entry = AuditEntry.objects.filter(object_id=invoice.pk).order_by("-pk").first()
    assert entry.changes["allocation_number"] == [None, "000000042"]
    entries = AuditEntry.objects.count()
    assert (
        _record(request, Answer(approved=True, number="000000099")) == "approved"
    )  # late: nothing written
    invoice.refresh_from_db()
    assert invoice.allocation_number == "000000042"
    assert AuditEntry.objects.count() == entries


def test_a_refusal_shows_the_reason_and_the_user_issues_without_the_number(
    users, business, make_order, tax_authority
):
    tax_authority.mode = "refuse"
    invoice = _awaiting(users, business, make_order)
    request_allocations()
    invoice.refresh_from_db()
    assert invoice.allocation == "refused"
    assert "אינו תקין" in invoice.allocation_reason
    assert invoice.status == "awaiting"
    invoice = allocation_waive(invoice, actor=users["sales_rep"])
    assert (invoice.status, invoice.allocation) == ("issued", "waived")


def test_a_refusal_cancelled_by_credit_note_keeps_the_number_and_clears_the_balance(
    users, business, make_order, tax_authority
):
    tax_authority.mode = "refuse"
    invoice = _awaiting(users, business, make_order)
    request_allocations()
    invoice.refresh_from_db()
    note = allocation_cancel(invoice, actor=users["sales_rep"])
    invoice.refresh_from_db()
    assert invoice.status == "cancelled"
    assert invoice.number_value == 1
    assert note.kind == "credit_note"
    assert note.status == "issued"
    assert note.total == invoice.total
    assert invoice_balance(invoice) == 0
    with pytest.raises(ValidationError):
        allocation_waive(invoice, actor=users["sales_rep"])


def test_an_outage_retries_with_back_off_and_the_same_idempotency_key(
    users, business, make_order, tax_authority
):
    from django.utils import timezone

    tax_authority.mode, tax_authority.delay = "timeout", 0.5
    invoice = _awaiting(users, business, make_order)
    assert request_allocations() == 0
    request = AllocationRequest.objects.get(document=invoice)
    assert request.status == "pending"
    assert request.attempts == 1
    assert request.last_error
    assert request.next_attempt_at > timezone.now()
    assert request_allocations() == 0  # not due yet: nothing sent
    assert len(tax_authority.requests) == 1
    tax_authority.mode = "approve"
    later = request.next_attempt_at + datetime.timedelta(seconds=1)
    assert request_allocations(now=later) == 1
    keys = {r["key"] for r in tax_authority.requests}
    assert keys == {str(request.idempotency_key)}
    invoice.refresh_from_db()
    assert invoice.status == "issued"


def test_a_request_left_sending_by_a_dead_worker_is_sent_again_with_its_key(
    users, business, make_order, tax_authority
):
    """A crash (kill -9) between the claim and the answer: the same request is resent after
    the lease; the fake answers the repeated key with the same number."""
    from django.utils import timezone

    invoice = _awaiting(users, business, make_order)
    request = AllocationRequest.objects.get(document=invoice)
    # The fake gave a number, and the worker died before recording it.
    tax_authority.numbers[str(request.idempotency_key)] = "000000777"
    stale = timezone.now() - datetime.timedelta(hours=1)
    AllocationRequest.objects.filter(pk=request.pk).update(
        status="sending", claimed_at=stale, attempts=1
    )
    assert request_allocations() == 1
    invoice.refresh_from_db()
    assert invoice.allocation_number == "000000777"


def test_the_practice_environment_never_calls_the_real_api(
    users, business, make_order, tax_authority, settings
):
    settings.KESHER_PRACTICE = True
    assert isinstance(backend(), PracticeTaxAuthority)
    invoice = _awaiting(users, business, make_order)
    request_allocations()
    invoice.refresh_from_db()
    assert invoice.allocation_number.startswith("PRACTICE-")
    assert tax_authority.requests == []


def test_a_credit_note_credits_each_line_once(users, business, make_order):
    invoice = document_issue(_invoice(users, make_order(business)), actor=users["sales_rep"])
    note = credit_note_for(invoice, actor=users["sales_rep"])
    assert note.based_on == invoice
    assert note.total == invoice.total
    with pytest.raises(ValidationError, match="credited already"):
        credit_note_for(invoice, actor=users["sales_rep"])
    document_issue(note, actor=users["sales_rep"])
    assert invoice_balance(invoice) == 0


def test_erasing_a_person_keeps_what_an_issued_invoice_must_show(users, business, make_order):
    """Issue 25 × 17: a data-subject erasure anonymizes an issued invoice addressed to the person
    around the fields the law keeps (number, customer, amounts) and marks it kept; a draft
    keeps nothing of him."""
    from conftest import make_user
    from kesher.customers.tests.factories import make_contact
    from kesher.privacy import services as privacy

    rep = users["sales_rep"]
    person = make_contact(rep, first_name="Yael", last_name="Mizrahi", email="yael@example.com")
    order = make_order(business)
    issued = document_issue(
        _invoice(users, order, contact=person, notes="Call Yael Mizrahi on delivery"), actor=rep
    )
    draft = _invoice(users, order, contact=person, notes="Yael Mizrahi asked for a discount")
    officer = make_user("privacy1", "privacy_officer")
    request = privacy.request_create(actor=officer, data={"contact": person, "kind": "deletion"})
    request = privacy.request_anonymize(request, actor=officer)
    issued.refresh_from_db()
    draft.refresh_from_db()
    assert (issued.number, issued.account, issued.total) != ("", None, None)
    assert "Mizrahi" not in issued.notes
    assert "Mizrahi" not in draft.notes
    kept = [k for k in request.outcome["kept"] if k["entity"] == "tax-documents"]
    assert [k["id"] for k in kept] == [issued.pk]


def test_a_credit_of_part_of_a_line_refuses_more_than_is_left(
    users, business, make_order, django_assert_num_queries
):
    from kesher.billing.services import uncredited_lines

    rep = users["sales_rep"]
    invoice = document_issue(_invoice(users, make_order(business, "3")), actor=rep)
    line = invoice.lines.get()
    note = credit_note_for(invoice, actor=rep, quantities={1: Decimal("1")})
    credited = note.lines.get()
    assert (credited.quantity, credited.source_line) == (Decimal("1"), 1)
    assert credited.net == (line.net / 3).quantize(Decimal("0.01"))
    assert note.total == credited.total
    for quantity in ("3", "0", "-1"):  # 2 are left: more, nothing or less is refused
        with pytest.raises(ValidationError, match="up to 2"):
            credit_note_for(invoice, actor=rep, quantities={1: Decimal(quantity)})
    with pytest.raises(ValidationError, match="not on the invoice"):
        credit_note_for(invoice, actor=rep, quantities={2: Decimal("1")})
    with django_assert_num_queries(2):  # what the notes took, summed; the lines
        assert [line.quantity for line in uncredited_lines(invoice)] == [Decimal("2")]
    rest = credit_note_for(invoice, actor=rep)
    assert rest.lines.get().quantity == Decimal("2")
    assert note.total + rest.total == invoice.total
    assert TaxDocument._base_manager.filter(based_on=invoice).count() == 2

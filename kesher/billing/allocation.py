"""The worker's requests for allocation numbers (ISRAEL.md; decision 0076).

As webhook deliveries do (``kesher.integrations.delivery``), a worker claims due requests with
one UPDATE (pending → sending, the attempt counted; ``FOR UPDATE SKIP LOCKED`` on PostgreSQL),
commits, and only then calls the Tax Authority, recording the answer in a short transaction of
its own: approved — the number stored and the invoice issued; refused — the reason shown and
the user decides; unavailable — back to pending with an exponential back-off. Unlike an e-mail,
a request may be sent again safely: it carries the same idempotency key on every attempt, so a
request left "sending" by a worker that died (``kill -9``) goes back to pending after the lease
and is sent again, and the Tax Authority answers the repeat with the same number.
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from kesher.billing.models import TAX_AUTHORITY_CODES, AllocationRequest, TaxDocument
from kesher.billing.taxauthority import Answer, backend
from kesher.platform.claims import claim_ids
from kesher.platform.models import AuditEntry
from kesher.platform.records.inserts import run_together, update_statement
from kesher.platform.records.services import audit_statement

__all__ = ["allocation_payload", "request_allocations"]

logger = logging.getLogger("kesher.billing")
BATCH = 50
MAX_WAIT = 3600  # seconds: an outage is retried at least hourly


def _backoff(attempts: int) -> datetime.timedelta:
    base = settings.KESHER_ALLOCATION_BACKOFF_SECONDS
    return datetime.timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), MAX_WAIT))


def allocation_payload(document: TaxDocument) -> dict:
    """The invoice as the invoice-approval endpoint reads it (ISRAEL.md, v2 field names)."""
    company = document.company
    return {
        "invoice_id": document.number,
        "invoice_type": TAX_AUTHORITY_CODES.get(document.kind, 305),
        "vat_number": getattr(company, "company_number", "") or "",
        "invoice_date": document.doc_date.isoformat(),
        "invoice_issuance_date": timezone.localdate(document.issued_at).isoformat(),
        "accounting_software_number": settings.KESHER_TAX_AUTHORITY.get("SOFTWARE_NUMBER", ""),
        "customer_vat_number": document.account.company_number,
        "customer_name": document.account.name,
        "amount_before_discount": str(document.gross),
        "discount": str(document.discount),
        "payment_amount": str(document.net_ils),
        "vat_amount": str(document.vat_ils),
        "payment_amount_including_vat": str(document.total_ils),
        "items": [
            {
                "index": line.position,
                "catalog_id": line.sku,
                "category": 1,
                "description": line.name,
                "quantity": str(line.quantity),
                "price_per_unit": str(line.unit_price),
                "discount": str(line.discount),
                "total_amount": str(line.net_ils),
                "vat_rate": str(line.vat_rate),
                "vat_amount": str(line.vat_ils),
            }
            for line in document.lines.all()
        ],
    }


def _release_stale(now) -> None:
    """Requests a dead worker left "sending" go back to the queue: the idempotency key makes
    sending them again safe."""
    cutoff = now - datetime.timedelta(seconds=settings.KESHER_ALLOCATION_LEASE_SECONDS)
    AllocationRequest.objects.filter(
        status=AllocationRequest.Status.SENDING, claimed_at__lt=cutoff
    ).update(status=AllocationRequest.Status.PENDING, next_attempt_at=now)


def _claim(now, limit: int) -> list[int]:
    return claim_ids(
        AllocationRequest._meta.db_table,
        due="status = %s AND next_attempt_at <= %s",
        due_params=[AllocationRequest.Status.PENDING, now],
        order="next_attempt_at, id",
        limit=limit,
        mark="status = %s, claimed_at = %s, attempts = attempts + 1",
        mark_params=[AllocationRequest.Status.SENDING, now],
    )


def _lock_for_answer(request: AllocationRequest) -> tuple[str, int, int]:
    """Lock the request and its invoice in one statement (PostgreSQL locks both rows; SQLite's
    write transaction holds the database) and read what recording the answer needs of them as
    they are now: the request's status and attempts, the invoice's version."""
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT r.status, r.attempts, d.version FROM billing_allocationrequest r "  # noqa: S608
            f"JOIN billing_taxdocument d ON d.id = r.document_id WHERE r.id = %s{lock}",
            [request.pk],
        )
        return cursor.fetchone()


@transaction.atomic
def _record(request: AllocationRequest, answer: Answer) -> str:
    """Record the Tax Authority's answer on the request and its invoice (read with the claim,
    its customer and company beside it). The rows are written by their changed columns with the
    audit entry, one round trip on PostgreSQL (decision 0119), not ``save()`` of each model."""
    # Locked: a late answer must not overwrite one recorded already.
    status, attempts, version = _lock_for_answer(request)
    if status != AllocationRequest.Status.SENDING:
        return status
    document = request.document
    now = timezone.now()
    request.status = status
    if answer.approved:
        request.status = AllocationRequest.Status.APPROVED
        request.last_error = ""
        document.allocation = TaxDocument.Allocation.APPROVED
        document.allocation_number = answer.number[:40]
        document.status = TaxDocument.Status.ISSUED
    elif answer.refused:
        request.status = AllocationRequest.Status.REFUSED
        request.last_error = ""
        document.allocation = TaxDocument.Allocation.REFUSED
        document.allocation_reason = answer.reason
    else:
        request.status = AllocationRequest.Status.PENDING
        request.last_error = answer.error
        request.next_attempt_at = now + _backoff(attempts)
        run_together(update_statement(request, ("status", "last_error", "next_attempt_at")))
        return request.status
    # Issued now: the "invoice overdue" trigger reads the change time (kesher.billing.triggers).
    document.updated_at = now
    document.version = version + 1
    run_together(
        update_statement(request, ("status", "last_error")),
        update_statement(
            document,
            (
                "allocation",
                "allocation_number",
                "allocation_reason",
                "status",
                "version",
                "updated_at",
            ),
        ),
        audit_statement(
            document,
            actor=None,
            action=AuditEntry.Action.UPDATE,
            changes={
                "allocation": [TaxDocument.Allocation.PENDING, document.allocation],
                "allocation_number": [None, document.allocation_number or None],
            },
        ),
    )
    return request.status


def request_allocations(now=None, limit: int = BATCH, client=None) -> int:
    """Claim due requests, call the Tax Authority after the claim commits, record each
    answer; returns how many were answered. Runs on every worker tick."""
    now = now or timezone.now()
    _release_stale(now)
    with transaction.atomic():
        ids = _claim(now, limit)
    if not ids:
        return 0
    client = client or backend()
    answered = 0
    requests = AllocationRequest.objects.filter(pk__in=ids).select_related(
        "document__account", "document__company"
    )
    for request in requests.order_by("id"):
        try:
            answer = client.request_approval(
                allocation_payload(request.document), idempotency_key=str(request.idempotency_key)
            )
        except Exception as error:  # a bug in a client must not leave the request claimed
            logger.exception("allocation request %s failed", request.pk)
            answer = Answer(error=f"error: {error}"[:300])
        answered += _record(request, answer) != AllocationRequest.Status.PENDING
    return answered

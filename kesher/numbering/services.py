"""Allocating document numbers (decision 0068).

``allocate_number(company=, doc_type=)`` must be called inside the transaction that issues the
document: it locks the counter's row (``SELECT … FOR UPDATE``), hands out its number and moves
it on. Another issuer of the same company and type waits for that transaction; if it rolls
back, the counter goes back with it. So every number is used exactly once and none is skipped,
per company and type — the rule for Israeli tax documents. A draft has no number: the number
comes when the document is issued (a quote sent, an order confirmed, an invoice issued).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction

from kesher.numbering.models import DocumentSequence

__all__ = ["DEFAULT_PREFIXES", "AllocatedNumber", "allocate_number"]

# The prefix a new counter starts with; an administrator may change the row's prefix.
DEFAULT_PREFIXES = {"quote": "Q-", "order": "SO-", "purchase_order": "PO-"}


@dataclass(frozen=True)
class AllocatedNumber:
    number: int  # the consecutive number itself
    display: str  # as printed, with the prefix


def _locked(company_id: int | None, doc_type: str) -> DocumentSequence | None:
    return (
        DocumentSequence.objects.select_for_update()
        .filter(company_id=company_id, doc_type=doc_type)
        .order_by()  # the default ordering joins the company, which FOR UPDATE refuses
        .first()
    )


def allocate_number(*, company, doc_type: str) -> AllocatedNumber:
    """The next number of ``doc_type`` for ``company`` (a Company, its id, or None). Must run
    inside the issuing transaction (``transaction.atomic``)."""
    if not connection.in_atomic_block:
        raise RuntimeError("allocate_number must run inside the issuing transaction")
    company_id = getattr(company, "pk", company)
    sequence = _locked(company_id, doc_type)
    if sequence is None:
        # The first number of this company and type: two issuers may race to make the row;
        # the loser's insert fails on the unique constraint and it locks the winner's row.
        try:
            with transaction.atomic():
                DocumentSequence.objects.create(
                    company_id=company_id,
                    doc_type=doc_type,
                    prefix=DEFAULT_PREFIXES.get(doc_type, ""),
                )
        except IntegrityError:
            pass
        sequence = _locked(company_id, doc_type)
        assert sequence is not None
    number = sequence.next_number
    DocumentSequence.objects.filter(pk=sequence.pk).update(next_number=number + 1)
    return AllocatedNumber(number=number, display=sequence.display(number))

"""Allocating document numbers (decision 0068).

``allocate_number(company=, doc_type=)`` must be called inside the transaction that issues the
document: one ``UPDATE … RETURNING`` locks the counter's row, moves it on and hands out the
number it held (decision 0100). Another issuer of the same company and type waits for that
transaction; if it rolls back, the counter goes back with it. So every number is used exactly
once and none is skipped, per company and type — the rule for Israeli tax documents. A draft
has no number: the number comes when the document is issued (a quote sent, an order
confirmed, an invoice issued).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction

from kesher.numbering.models import DocumentSequence, displayed

__all__ = ["DEFAULT_PREFIXES", "AllocatedNumber", "allocate_number"]

# The prefix a new counter starts with; an administrator may change the row's prefix.
DEFAULT_PREFIXES = {
    "quote": "Q-",
    "order": "SO-",
    "purchase_order": "PO-",
    "goods_receipt": "GR-",
}


@dataclass(frozen=True)
class AllocatedNumber:
    number: int  # the consecutive number itself
    display: str  # as printed, with the prefix


def _take(company_id: int | None, doc_type: str) -> tuple[int, str, int] | None:
    """Move the counter on and return the number it held, its prefix and width — one
    statement that also takes the row's lock (``UPDATE … RETURNING``: PostgreSQL, and SQLite
    from 3.35, whose write lock the transaction already holds); None while there is no row."""
    company = "company_id IS NULL" if company_id is None else "company_id = %s"
    params = [doc_type] if company_id is None else [company_id, doc_type]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE numbering_documentsequence SET next_number = next_number + 1 "  # noqa: S608
            f"WHERE {company} AND doc_type = %s RETURNING next_number - 1, prefix, width",
            params,
        )
        return cursor.fetchone()


def allocate_number(*, company, doc_type: str) -> AllocatedNumber:
    """The next number of ``doc_type`` for ``company`` (a Company, its id, or None). Must run
    inside the issuing transaction (``transaction.atomic``)."""
    if not connection.in_atomic_block:
        raise RuntimeError("allocate_number must run inside the issuing transaction")
    company_id = getattr(company, "pk", company)
    taken = _take(company_id, doc_type)
    if taken is None:
        # The first number of this company and type: two issuers may race to make the row;
        # the loser's insert fails on the unique constraint and it moves the winner's row on.
        try:
            with transaction.atomic():
                DocumentSequence.objects.create(
                    company_id=company_id,
                    doc_type=doc_type,
                    prefix=DEFAULT_PREFIXES.get(doc_type, ""),
                )
        except IntegrityError:
            pass
        taken = _take(company_id, doc_type)
        assert taken is not None
    number, prefix, width = taken
    return AllocatedNumber(number=number, display=displayed(prefix, width, number))

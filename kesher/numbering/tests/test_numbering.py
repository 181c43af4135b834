"""Gap-free document numbers per company and type (REQ SA-10, OR-4; decision 0068)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from kesher.numbering.models import DocumentSequence
from kesher.numbering.services import allocate_number
from kesher.org.models import Company

pytestmark = pytest.mark.django_db


def _company(name: str, number: str) -> Company:
    return Company.objects.create(name=name, company_number=number)


def test_numbers_are_consecutive_per_company_and_type():
    """SA-10: each company and document type counts on its own, from 1."""
    first, second = _company("א", "514000009"), _company("ב", "514000017")
    with transaction.atomic():
        got = [allocate_number(company=first, doc_type="quote").number for _ in range(3)]
        got.append(allocate_number(company=second, doc_type="quote").number)
        got.append(allocate_number(company=first, doc_type="order").number)
        got.append(allocate_number(company=None, doc_type="quote").number)
    assert got == [1, 2, 3, 1, 1, 1]
    sequence = DocumentSequence.objects.get(company=first, doc_type="quote")
    assert sequence.next_number == 4
    assert sequence.display(3) == "Q-00003"


def test_a_rolled_back_issue_gives_its_number_back():
    """A document whose issuing fails leaves no gap: the next one gets the same number."""
    with transaction.atomic():
        assert allocate_number(company=None, doc_type="invoice").number == 1

    class Failed(Exception):
        pass

    def issue_and_fail():
        with transaction.atomic():
            assert allocate_number(company=None, doc_type="invoice").number == 2
            raise Failed

    with pytest.raises(Failed):
        issue_and_fail()
    with transaction.atomic():
        assert allocate_number(company=None, doc_type="invoice").number == 2


@pytest.mark.django_db(transaction=True)
def test_allocating_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError):
        allocate_number(company=None, doc_type="quote")


def test_an_administrator_prefix_is_kept():
    DocumentSequence.objects.create(doc_type="credit", prefix="CN/", next_number=40, width=3)
    with transaction.atomic():
        assert allocate_number(company=None, doc_type="credit").display == "CN/040"


@pytest.mark.django_db(transaction=True)
def test_concurrent_issuers_use_every_number_once_without_gaps():
    """8 issuers at once, some of them rolling back: the committed numbers of each company and
    type are exactly 1…n (PostgreSQL; SQLite serializes writers anyway)."""
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serializes writers")
    companies = [_company("א", "514000009").pk, _company("ב", "514000017").pk]
    committed: list[tuple[int, int]] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    class Abandoned(Exception):
        pass

    def issue(worker: int) -> None:
        try:
            for i in range(25):
                company = companies[(worker + i) % 2]
                try:
                    with transaction.atomic():
                        number = allocate_number(company=company, doc_type="quote").number
                        if (worker * 25 + i) % 7 == 0:
                            raise Abandoned  # the issuing failed after taking a number
                    with lock:
                        committed.append((company, number))
                except Abandoned:
                    pass
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=issue, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    for company in companies:
        numbers = sorted(number for owner, number in committed if owner == company)
        assert numbers == list(range(1, len(numbers) + 1))
    assert len(committed) == 200 - sum(1 for n in range(200) if n % 7 == 0)

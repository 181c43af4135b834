"""Two writers at once keep the level equal to the ledger and never below zero, and one serial
is taken once (REQ SA-11; decision 0083). PostgreSQL: real concurrent transactions; SQLite
serializes writers (IMMEDIATE transactions), where the same test runs them in turn."""

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Sum

from kesher.stock.models import MoveKind, StockLevel, StockMove
from kesher.stock.services import move_create


def _run(workers):
    errors = []

    def wrap(work):
        def run():
            try:
                work()
            except BaseException as error:  # pragma: no cover - reported below
                errors.append(error)
            finally:
                connection.close()

        return run

    threads = [threading.Thread(target=wrap(w)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors


@pytest.mark.django_db(transaction=True)
def test_two_writers_take_the_last_units_once(users, stock, receive):
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serializes writers; the PostgreSQL run is the test")
    receive(stock["cable"], stock["main"], 30)
    taken, refused = [], []
    lock = threading.Lock()

    def writer():
        for _ in range(25):
            try:
                move_create(
                    actor=users["admin"],
                    kind=MoveKind.TRANSFER,
                    product=stock["cable"],
                    quantity=Decimal("1"),
                    from_warehouse=stock["main"],
                    to_warehouse=stock["van"],
                )
                with lock:
                    taken.append(1)
            except ValidationError:
                with lock:
                    refused.append(1)

    _run([writer, writer])
    assert (len(taken), len(refused)) == (30, 20)
    main = StockLevel.objects.get(warehouse=stock["main"], product=stock["cable"]).quantity
    van = StockLevel.objects.get(warehouse=stock["van"], product=stock["cable"]).quantity
    assert (main, van) == (0, 30)
    # The level is the ledger's sum.
    ins = StockMove.objects.filter(to_warehouse=stock["main"]).aggregate(s=Sum("quantity"))["s"]
    outs = StockMove.objects.filter(from_warehouse=stock["main"]).aggregate(s=Sum("quantity"))["s"]
    assert ins - outs == main


@pytest.mark.django_db(transaction=True)
def test_two_writers_naming_one_serial_take_it_once(users, stock, receive):
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serializes writers; the PostgreSQL run is the test")
    receive(stock["filter"], stock["main"], 1, ["ONE"])
    done = []
    lock = threading.Lock()
    barrier = threading.Barrier(2)

    def writer(target):
        def work():
            barrier.wait()
            try:
                move_create(
                    actor=users["admin"],
                    kind=MoveKind.TRANSFER,
                    product=stock["filter"],
                    quantity=Decimal("1"),
                    from_warehouse=stock["main"],
                    to_warehouse=stock[target],
                    serials=["ONE"],
                )
                with lock:
                    done.append(target)
            except ValidationError:
                pass

        return work

    _run([writer("van"), writer("other_van")])
    assert len(done) == 1
    assert StockMove.objects.filter(kind=MoveKind.TRANSFER).count() == 1

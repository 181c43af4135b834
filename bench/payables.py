"""A supplier's payables with 5,000 recorded invoices (issue 17's figure for a customer's open
balance, applied to the purchase side: p95 ≤ 50 ms and ≤ 3× the best hand-written SQL; REQ
RE-1; decision 0087).

    .venv/bin/python -m bench.payables --db sqlite
    .venv/bin/python -m bench.payables --db postgres   # server from $DATABASE_URL or localhost

Builds a throw-away database (a temporary SQLite file, or a ``kesher_bench_payables``
PostgreSQL database dropped afterwards): 200 suppliers, one of them with 5,000 recorded
invoices (a third paid, a third part-paid, some in dollars, due dates spread over two years)
and the others 100 each — 24,900 invoices in all — and a manager whose department owns them.

The measured supplier's paid and part-paid invoices are each paid by a payment allocated to it
(every tenth payment larger: the rest is an open credit, decision 0092).

The figure is ``payables_of(supplier, manager)``: the manager's scope (his grant, the suppliers
he sees) and two aggregates — open balance and overdue in shekels, their counts, over his
invoices; his open credit over his payments. The floor is the same two aggregates written by
hand in SQL for the one supplier, without any scoping, run on the same connection. They
alternate round by round, so load from elsewhere on the shared machine hits both alike.
Results go to ``bench/results/payables-<db>.md``.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from bench.database import engine_version, scratch_database

RESULTS = Path(__file__).resolve().parent / "results"
PG_NAME = "kesher_bench_payables"
SUPPLIERS = 200
MAIN_INVOICES = 5000
OTHER_INVOICES = 100
TODAY = date(2026, 12, 6)

FLOOR_SQL = """
SELECT COUNT(*),
       SUM(balance * exchange_rate),
       SUM(CASE WHEN due_date < %s AND balance > 0 THEN balance * exchange_rate END),
       SUM(CASE WHEN balance > 0 THEN 1 ELSE 0 END),
       SUM(CASE WHEN due_date < %s AND balance > 0 THEN 1 ELSE 0 END)
FROM purchasing_supplierinvoice
WHERE supplier_id = %s AND status = 'recorded' AND kind = 'invoice'
"""
# The supplier's open credit: what his payments pay no invoice yet (decision 0092).
FLOOR_CREDIT_SQL = """
SELECT COUNT(*), SUM((amount - allocated) * exchange_rate)
FROM purchasing_supplierpayment
WHERE supplier_id = %s
"""


def _setup():
    """Migrate, then a manager in his department, the suppliers he owns and their invoices."""
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from kesher.customers.models import Account
    from kesher.org.models import Role, User
    from kesher.org.services import department_create
    from kesher.purchasing.models import (
        SupplierInvoice,
        SupplierPayment,
        SupplierPaymentAllocation,
    )

    department = department_create(actor=None, data={"name": "רכש"})
    manager = User.objects.create_user("buyer", "buyer@example.co.il", None)
    manager.role = Role.objects.get(key="manager")
    manager.department = department
    manager.save()
    suppliers = Account.objects.bulk_create(
        Account(name=f"ספק {n}", kind="organization", owner=manager) for n in range(SUPPLIERS)
    )
    rows = []
    for s, supplier in enumerate(suppliers):
        count = MAIN_INVOICES if s == 0 else OTHER_INVOICES
        for n in range(count):
            total = Decimal(100 + n % 900) + Decimal("0.18")
            paid = (total if n % 3 == 0 else total / 2 if n % 3 == 1 else Decimal(0)).quantize(
                Decimal("0.01")
            )
            day = TODAY - timedelta(days=n % 730)
            rows.append(
                SupplierInvoice(
                    supplier=supplier,
                    supplier_number=f"{s}-{n}",
                    owner=manager,
                    status="recorded",
                    doc_date=day,
                    due_date=day + timedelta(days=30),
                    currency="USD" if n % 10 == 0 else "ILS",
                    exchange_rate=Decimal("3.7") if n % 10 == 0 else Decimal(1),
                    net=total,
                    total=total,
                    total_ils=total,
                    paid=paid,
                    balance=total - paid,
                )
            )
    SupplierInvoice.objects.bulk_create(rows, batch_size=2000)
    # Each paid invoice of the measured supplier paid by a payment of its own, allocated to it
    # whole; every tenth payment half again as large, the rest an open credit.
    paid = [i for i in rows[:MAIN_INVOICES] if i.paid]
    payments = SupplierPayment.objects.bulk_create(
        (
            SupplierPayment(
                supplier=i.supplier,
                owner=manager,
                paid_on=i.doc_date,
                means="transfer",
                amount=i.paid * (Decimal("1.5") if n % 10 == 0 else 1),
                allocated=i.paid,
                currency=i.currency,
                exchange_rate=i.exchange_rate,
                amount_ils=i.paid * i.exchange_rate,
            )
            for n, i in enumerate(paid)
        ),
        batch_size=2000,
    )
    SupplierPaymentAllocation.objects.bulk_create(
        (
            SupplierPaymentAllocation(payment=p, invoice=i, amount=i.paid)
            for p, i in zip(payments, paid, strict=True)
        ),
        batch_size=2000,
    )
    return manager, suppliers[0]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    options = parser.parse_args(argv)
    where, cleanup = scratch_database(options.db, pg_name=PG_NAME, prefix="kesher-payables-")
    try:
        started = time.perf_counter()
        manager, supplier = _setup()
        setup_seconds = time.perf_counter() - started
        from django.db import connection
        from django.test.utils import CaptureQueriesContext
        from django.utils import timezone

        from bench.timing import machine_and_run_lines, measure, percentile
        from kesher.purchasing.selectors import payables_of

        today = timezone.localdate()

        def floor():
            with connection.cursor() as cursor:
                cursor.execute(FLOOR_SQL, [today, today, supplier.pk])
                invoices = cursor.fetchone()
                cursor.execute(FLOOR_CREDIT_SQL, [supplier.pk])
                return invoices, cursor.fetchone()

        figure = payables_of(supplier, manager)
        bare, credit = floor()
        assert figure is not None
        assert bare[0] == MAIN_INVOICES
        assert figure.open_balance == Decimal(bare[1]).quantize(Decimal("0.01")), (figure, bare)
        assert figure.open_count == bare[3]
        assert figure.open_credit == Decimal(credit[1]).quantize(Decimal("0.01")), (figure, credit)
        with CaptureQueriesContext(connection) as queries:
            payables_of(supplier, manager)
        query_count = len(queries)
        payments_seen = range(credit[0])
        gc.collect()
        gc.freeze()
        [(full, bare_ms)] = measure(
            [(lambda: payables_of(supplier, manager), lambda: floor())],
            runs=options.runs,
            warmup=options.warmup,
        )
        p50, p95 = percentile(full, 50), percentile(full, 95)
        f50, f95 = percentile(bare_ms, 50), percentile(bare_ms, 95)
        ratio = p95 / f95
        passed = p95 <= 50 and ratio <= 3
        command = [sys.executable.rsplit("/", 1)[-1], "-m", "bench.payables"]
        command += argv if argv is not None else sys.argv[1:]
        verdict = "pass" if passed else "FAIL"
        report = "\n".join(
            [
                f"# A supplier's payables over 5,000 invoices — {options.db}",
                "",
                "Issue 17's open-balance figure on the purchase side: p95 ≤ 50 ms and ≤ 3× the",
                "best hand-written SQL (`bench/payables.py`; its docstring says what is built",
                "and measured).",
                "",
                "| figure | p50 ms | p95 ms | floor p50 ms | floor p95 ms | p95 / floor p95 "
                "| target | |",
                "|---|---|---|---|---|---|---|---|",
                f"| `payables_of`, 5,000 invoices and their payments | {p50:.2f} | {p95:.2f} "
                f"| {f50:.2f} | {f95:.2f} | {ratio:.2f}× | ≤ 50 ms, ≤ 3× | {verdict} |",
                "",
                f"- Queries per call: {query_count} (the reader's grant is cached after the "
                "first call).",
                f"- Data: {SUPPLIERS} suppliers, {MAIN_INVOICES:,} recorded invoices of the "
                f"measured one, {OTHER_INVOICES} of each other, {len(payments_seen):,} payments "
                "of the measured one; the reader is a manager whose department owns them "
                "(scope through the supplier).",
                f"- {options.runs} timed rounds after {options.warmup} warm-up rounds; each "
                "round runs the figure, then the floor.",
                f"- Database: {where} ({engine_version()}); set-up took {setup_seconds:.0f} s.",
                *machine_and_run_lines(command),
            ]
        )
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / f"payables-{options.db}.md").write_text(report, encoding="utf-8")
        print(report)
        return 0 if passed else 1
    finally:
        cleanup()


if __name__ == "__main__":
    sys.exit(main())

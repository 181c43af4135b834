"""Reports over documents' lines (issue 21, REQ SA-14; decision 0103) against the best
hand-written SQL.

    .venv/bin/python -m bench.report_lines --db sqlite
    .venv/bin/python -m bench.report_lines --db postgres   # server from $DATABASE_URL or localhost

Builds a throw-away database (a temporary SQLite file, or a ``kesher_bench_report_lines``
PostgreSQL database dropped afterwards) with ``--rows`` invoice lines (100,000) on issued tax
invoices of 2,000 customers owned by 50 sales reps, of 200 products in 10 product groups over
the past year, and measures the built-in "revenue by product group and quarter" (the invoice
lines of issued invoices, ``product.group`` × ``document.doc_date`` by quarter, the sum in
shekels):

* ``group_quarter`` as an administrator (every line) against one hand-written ``GROUP BY``
  over the lines joined to their products and documents;
* ``group_quarter_rep`` as one sales rep, whose lines are those of the documents of the
  customers he sees (``Entity.part_of`` and ``scope_via``: the line's document, the document's
  customer) against the same ``GROUP BY`` with a hand-written join to his own customers.

Engine and floor alternate round by round, so load from elsewhere on the shared machine hits
both alike. Results go to ``bench/results/report-lines-<db>.md``.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import shlex
import sys
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from bench.database import engine_version, scratch_database

RESULTS = Path(__file__).resolve().parent / "results"
PG_NAME = "kesher_bench_report_lines"
OWNERS = 50
ACCOUNTS = 2000
PRODUCTS = 200
GROUPS = 10
LINES_PER_DOCUMENT = 5


def _setup(rows: int):
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from kesher.billing.models import InvoiceLine, TaxDocument
    from kesher.catalogue.models import Product, ProductGroup
    from kesher.customers.models import Account
    from kesher.org.models import Role, User
    from kesher.platform.models import Choice

    rep_role = Role.objects.get(key="sales_rep")
    owners = User.objects.bulk_create(
        User(username=f"rep{n}", email=f"rep{n}@example.co.il", role=rep_role)
        for n in range(OWNERS)
    )
    admin = User.objects.create_superuser("admin", "admin@example.co.il", None)
    accounts = Account.objects.bulk_create(
        Account(name=f"לקוח {n}", owner=owners[n % OWNERS]) for n in range(ACCOUNTS)
    )
    groups = []
    for n in range(GROUPS):
        group = ProductGroup.objects.create(name_he=f"קבוצה {n}", name_en=f"Group {n}")
        group.path = f"/{group.pk}/"
        group.save()
        groups.append(group)
    vat = Choice.objects.get(list_key="vat_category", value="standard")
    unit = Choice.objects.get(list_key="product_unit", value="unit")
    products = Product.objects.bulk_create(
        Product(
            name=f"מוצר {n}",
            sku=f"SKU-{n}",
            group=groups[n % GROUPS],
            vat_category=vat,
            unit=unit,
            list_price=Decimal(100 + n),
        )
        for n in range(PRODUCTS)
    )
    today = date(2026, 12, 1)
    documents_count = rows // LINES_PER_DOCUMENT
    documents = []
    for n in range(documents_count):
        account = accounts[(n * 7) % ACCOUNTS]
        documents.append(
            TaxDocument(
                kind="tax_invoice",
                status="issued",
                number=f"{n + 1}",
                number_value=n + 1,
                account=account,
                owner_id=account.owner_id,
                doc_date=today - timedelta(days=(n * 13) % 365),
            )
        )
        if len(documents) == 5000:
            TaxDocument.objects.bulk_create(documents)
            documents = []
    TaxDocument.objects.bulk_create(documents)
    ids = list(TaxDocument.objects.order_by("pk").values_list("pk", flat=True))
    batch = []
    for n in range(rows):
        product = products[(n * 31) % PRODUCTS]
        net = Decimal(100 + (n * 37) % 9000)
        batch.append(
            InvoiceLine(
                document_id=ids[n // LINES_PER_DOCUMENT],
                position=n % LINES_PER_DOCUMENT + 1,
                product=product,
                name=product.name,
                quantity=Decimal(1),
                unit_price=net,
                gross=net,
                net=net,
                total=net,
                net_ils=net,
                total_ils=net,
            )
        )
        if len(batch) == 10_000:
            InvoiceLine.objects.bulk_create(batch)
            batch = []
    InvoiceLine.objects.bulk_create(batch)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return admin, owners[0]


REPORT = {
    "entity": "invoice-lines",
    "filter": {"field": "document.status", "op": "eq", "value": "issued"},
    "group_by": [{"field": "product.group"}, {"field": "document.doc_date", "bucket": "quarter"}],
    "measures": [{"agg": "sum", "field": "net_ils"}],
}


def _floor(vendor: str, rep_id: int | None) -> str:
    quarter = (
        "strftime('%Y', d.doc_date) || ((CAST(strftime('%m', d.doc_date) AS INTEGER) + 2) / 3)"
        if vendor == "sqlite"
        else "date_trunc('quarter', d.doc_date)"
    )
    mine = (
        f"JOIN customers_account a ON a.id = d.account_id AND a.owner_id = {rep_id} "
        if rep_id
        else ""
    )
    return (
        f"SELECT p.group_id, {quarter} AS q, SUM(l.net_ils) FROM billing_invoiceline l "
        "JOIN billing_taxdocument d ON d.id = l.document_id "
        f"{mine}JOIN catalogue_product p ON p.id = l.product_id "
        "WHERE d.status = 'issued' GROUP BY p.group_id, q ORDER BY p.group_id, q"
    )


def _percentile(samples, pct):
    ordered = sorted(samples)
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=2)
    options = parser.parse_args(argv)
    where, cleanup = scratch_database(options.db, pg_name=PG_NAME, prefix="kesher-lines-")
    try:
        started = time.perf_counter()
        admin, rep = _setup(options.rows)
        setup_seconds = time.perf_counter() - started
        print(f"set up in {setup_seconds:.0f} s", flush=True)
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from bench.timing import machine_speed
        from kesher.reports import engine

        lines = []
        for key, reader, rep_id in (
            ("group_quarter", admin, None),
            ("group_quarter_rep", rep, rep.pk),
        ):
            parsed = engine.parse(REPORT, reader)
            result = engine.run(parsed, reader)
            floor_sql = _floor(connection.vendor, rep_id)
            with connection.cursor() as cursor:
                cursor.execute(floor_sql)
                bare = cursor.fetchall()
            # The engine and the floor count the same money.
            assert sum(r.figures[0] for r in result.rows) == sum(r[2] for r in bare), key
            with CaptureQueriesContext(connection) as queries:
                engine.run(parsed, reader)
            gc.collect()
            full, floor = [], []
            for round_number in range(options.warmup + options.runs):
                t0 = time.perf_counter()
                engine.run(parsed, reader)
                t1 = time.perf_counter()
                with connection.cursor() as cursor:
                    cursor.execute(floor_sql)
                    cursor.fetchall()
                t2 = time.perf_counter()
                if round_number >= options.warmup:
                    full.append((t1 - t0) * 1000)
                    floor.append((t2 - t1) * 1000)
            p50, p95 = _percentile(full, 50), _percentile(full, 95)
            f50, f95 = _percentile(floor, 50), _percentile(floor, 95)
            print(f"{key}: p95 {p95:.1f} ms, floor p95 {f95:.1f} ms", flush=True)
            lines.append(
                f"| `{key}` | {len(result.rows):,} | {len(queries)} | {p50:.1f} | {p95:.1f} | "
                f"{f50:.1f} | {f95:.1f} | ×{p95 / f95:.2f} |"
            )
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
        report = [
            f"# Reports over invoice lines — {options.db}",
            "",
            f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {where} · {engine_version()} · "
            f"Python {platform.python_version()} · {machine_speed()} · load {load:.1f} "
            f"({os.cpu_count()} cores){' · noisy' if load > (os.cpu_count() or 1) else ''}",
            "",
            f"{options.rows:,} invoice lines on {options.rows // LINES_PER_DOCUMENT:,} issued "
            f"invoices of {ACCOUNTS:,} customers ({OWNERS} reps), {PRODUCTS} products in "
            f"{GROUPS} groups; set up in {setup_seconds:.0f} s; {options.runs} timed runs after "
            f"{options.warmup} warm-up, engine and floor alternating. Milliseconds. The "
            "engine's figure is `engine.run` (its SQL, the groups' and names, the result "
            "objects) of revenue by product group × quarter; the floor is the bare `GROUP BY` "
            "through a cursor — for the rep, joined to his own customers by hand, where the "
            "engine reads his lines through `visible_to` (the documents of the customers he "
            "sees).",
            "",
            "| report | rows | queries | p50 | p95 | floor p50 | floor p95 | p95 ratio |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
            *lines,
            "",
            "Reproduce: `.venv/bin/python -m bench.report_lines "
            + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:]))
            + "`",
            "",
        ]
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / f"report-lines-{options.db}.md").write_text("\n".join(report), encoding="utf-8")
        print("\n".join(report))
        return 0
    finally:
        cleanup()


if __name__ == "__main__":
    sys.exit(main())

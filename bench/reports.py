"""Grouped reports against the best hand-written SQL (issue 21; decision 0071).

    .venv/bin/python -m bench.reports --db sqlite
    .venv/bin/python -m bench.reports --db postgres   # server from $DATABASE_URL or localhost

Builds a throw-away database (a temporary SQLite file, or a ``kesher_bench_reports``
PostgreSQL database dropped afterwards) with 100,000 opportunities (``--rows``) of 50 owners in
5 departments over the pipeline's stages, created over the past year, and measures, as an
administrator (who sees every record, so that the floor reads the same rows):

* ``pivot``: stage × owner, count and sum of the amount — the report engine (``engine.run``:
  parse done once, then its SQL, the names of stages and owners, and the result objects)
  against one hand-written ``GROUP BY stage_id, owner_id``;
* ``targets``: the dashboards' targets widget (decision 0099) for a manager — the sales
  selectors ``attainment(current_targets(manager))`` — against its grouped query by hand;
* ``owner_month``: owner × month of creation, count — the engine, which buckets in the
  reader's time zone (Asia/Jerusalem), against a ``GROUP BY`` on the UTC month
  (``strftime`` / ``date_trunc``), the cheapest bare query, which does not convert zones.

The two alternate round by round, so load from elsewhere on the shared machine hits both alike.
Results go to ``bench/results/reports-<db>.md``.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import shlex
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from bench.database import engine_version, scratch_database

RESULTS = Path(__file__).resolve().parent / "results"
PG_NAME = "kesher_bench_reports"
OWNERS = 50


def _setup(rows: int):
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from kesher.org.models import Department, Role, User
    from kesher.sales.models import Opportunity, Stage

    manager_role = Role.objects.get(key="manager")
    rep_role = Role.objects.get(key="sales_rep")
    departments = []
    for n in range(5):
        department = Department.objects.create(name=f"מחלקה {n}")
        department.path = f"/{department.pk}/"
        department.save()
        departments.append(department)
    owners = User.objects.bulk_create(
        User(
            username=f"rep{n}",
            email=f"rep{n}@example.co.il",
            first_name=f"נציג {n}",
            role=rep_role,
            department=departments[n % 5],
        )
        for n in range(OWNERS)
    )
    admin = User.objects.create_superuser("admin", "admin@example.co.il", None)
    manager = User.objects.create_user("manager", "m@example.co.il", None)
    manager.role = manager_role
    manager.department = departments[0]
    manager.save()
    stages = list(Stage.objects.filter(pipeline__order=1).order_by("order"))
    now = datetime(2026, 12, 1, 12, tzinfo=UTC)
    batch = []
    for n in range(rows):
        batch.append(
            Opportunity(
                name=f"עסקה {n}",
                amount=Decimal(1000 + (n * 37) % 90_000),
                stage=stages[n % len(stages)],
                owner=owners[(n * 7) % OWNERS],
                created_at=now - timedelta(minutes=(n * 5257) % (365 * 24 * 60)),
                expected_close_date=(now - timedelta(days=(n * 13) % 365)).date(),
            )
        )
        if len(batch) == 10_000:
            Opportunity.objects.bulk_create(batch)
            batch = []
    Opportunity.objects.bulk_create(batch)
    # This month's targets: one per owner and one per department (the dashboard's targets
    # widget, decision 0099).
    from kesher.sales.models import SalesTarget

    month = datetime.now(UTC).date().replace(day=1)
    SalesTarget.objects.bulk_create(
        [
            *(
                SalesTarget(period="month", starts_on=month, level="person", user=o, amount=1)
                for o in owners
            ),
            *(
                SalesTarget(
                    period="month", starts_on=month, level="department", department=d, amount=1
                )
                for d in departments
            ),
        ]
    )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return admin, manager


PIVOT = {
    "entity": "opportunities",
    "group_by": [{"field": "stage"}, {"field": "owner"}],
    "measures": [{"agg": "count"}, {"agg": "sum", "field": "amount"}],
    "display": "pivot",
}
OWNER_MONTH = {
    "entity": "opportunities",
    "group_by": [{"field": "owner"}, {"field": "created_at", "bucket": "month"}],
    "measures": [{"agg": "count"}],
}


def _floors(vendor: str) -> dict[str, str]:
    month = (
        "strftime('%Y-%m', created_at)" if vendor == "sqlite" else "date_trunc('month', created_at)"
    )
    return {
        "pivot": "SELECT stage_id, owner_id, COUNT(*), SUM(amount) FROM sales_opportunity "
        "GROUP BY stage_id, owner_id ORDER BY stage_id, owner_id",
        "owner_month": f"SELECT owner_id, {month} AS m, COUNT(*) FROM sales_opportunity "
        "GROUP BY owner_id, m ORDER BY owner_id, m",
    }


def _targets_floor(vendor: str, start, end) -> str:
    """The targets widget's floor: the won deals of the period by owner, customer's region and
    month — the one grouped query the sales selector makes — by hand."""
    month = (
        "strftime('%Y-%m', o.expected_close_date)"
        if vendor == "sqlite"
        else "date_trunc('month', o.expected_close_date)"
    )
    return (
        f"SELECT o.owner_id, a.region_id, {month} AS m, SUM(o.amount), COUNT(*) "
        "FROM sales_opportunity o JOIN sales_stage s ON s.id = o.stage_id "
        "LEFT JOIN customers_account a ON a.id = o.account_id "
        f"WHERE s.outcome = 'won' AND o.expected_close_date >= '{start}' "
        f"AND o.expected_close_date < '{end}' GROUP BY o.owner_id, a.region_id, m"
    )


def _bench_targets(manager, options) -> str:
    """The targets widget for a manager (his department's targets and their actuals) against
    its bare grouped query, alternating."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kesher.sales.selectors import attainment, current_targets

    targets = list(current_targets(manager))
    start = min(t.starts_on for t in targets)
    end = max(t.ends_on for t in targets)
    floor_sql = _targets_floor(connection.vendor, start, end)
    with CaptureQueriesContext(connection) as queries:
        rows = attainment(current_targets(manager))
    full, floor = [], []
    for round_number in range(options.warmup + options.runs):
        t0 = time.perf_counter()
        attainment(current_targets(manager))
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
    print(f"targets: p95 {p95:.1f} ms, floor p95 {f95:.1f} ms", flush=True)
    return (
        f"| `targets` (manager) | {len(rows):,} | {len(queries)} | {p50:.1f} | {p95:.1f} | "
        f"{f50:.1f} | {f95:.1f} | ×{p95 / f95:.2f} | {p95:.1f} |"
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
    where, cleanup = scratch_database(options.db, pg_name=PG_NAME, prefix="kesher-reports-")
    try:
        started = time.perf_counter()
        admin, manager = _setup(options.rows)
        setup_seconds = time.perf_counter() - started
        print(f"set up in {setup_seconds:.0f} s", flush=True)
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from bench.timing import machine_speed
        from kesher.reports import engine

        floors = _floors(connection.vendor)
        lines = []
        for key, definition in (("pivot", PIVOT), ("owner_month", OWNER_MONTH)):
            parsed = engine.parse(definition, admin)
            result = engine.run(parsed, admin)
            with connection.cursor() as cursor:
                cursor.execute(floors[key])
                bare = cursor.fetchall()
            assert sum(r.figures[0] for r in result.rows) == options.rows
            assert sum(r[2] for r in bare) == options.rows
            with CaptureQueriesContext(connection) as queries:
                engine.run(parsed, admin)
            gc.collect()
            full, floor = [], []
            for round_number in range(options.warmup + options.runs):
                t0 = time.perf_counter()
                engine.run(parsed, admin)
                t1 = time.perf_counter()
                with connection.cursor() as cursor:
                    cursor.execute(floors[key])
                    cursor.fetchall()
                t2 = time.perf_counter()
                if round_number >= options.warmup:
                    full.append((t1 - t0) * 1000)
                    floor.append((t2 - t1) * 1000)
            p50, p95 = _percentile(full, 50), _percentile(full, 95)
            f50, f95 = _percentile(floor, 50), _percentile(floor, 95)
            manager_parsed = engine.parse(definition, manager)
            m_samples = []
            for _ in range(5):
                t0 = time.perf_counter()
                engine.run(manager_parsed, manager)
                m_samples.append((time.perf_counter() - t0) * 1000)
            print(f"{key}: p95 {p95:.1f} ms, floor p95 {f95:.1f} ms", flush=True)
            lines.append(
                f"| `{key}` | {len(result.rows):,} | {len(queries)} | {p50:.1f} | {p95:.1f} | "
                f"{f50:.1f} | {f95:.1f} | ×{p95 / f95:.2f} | {_percentile(m_samples, 95):.1f} |"
            )
        lines.append(_bench_targets(manager, options))
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
        report = [
            f"# Grouped reports — {options.db}",
            "",
            f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {where} · {engine_version()} · "
            f"Python {platform.python_version()} · {machine_speed()} · load {load:.1f} "
            f"({os.cpu_count()} cores){' · noisy' if load > (os.cpu_count() or 1) else ''}",
            "",
            f"{options.rows:,} opportunities, {OWNERS} owners, set up in {setup_seconds:.0f} s; "
            f"{options.runs} timed runs after {options.warmup} warm-up, engine and floor "
            "alternating. Milliseconds. The engine's figure is `engine.run` for an "
            "administrator (its SQL, the names of the linked values, the result objects); the "
            "floor is the bare `GROUP BY` through a cursor. The last column is the engine for "
            "a manager (department scope). `targets` is the dashboard's targets widget for "
            "the manager (`attainment(current_targets(manager))`: his department's targets and "
            "their won actuals) against the one grouped query it makes, by hand.",
            "",
            "| report | rows | queries | p50 | p95 | floor p50 | floor p95 | p95 ratio | "
            "manager p95 |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
            *lines,
            "",
            "Reproduce: `.venv/bin/python -m bench.reports "
            + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:]))
            + "`",
            "",
        ]
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / f"reports-{options.db}.md").write_text("\n".join(report), encoding="utf-8")
        print("\n".join(report))
        return 0
    finally:
        cleanup()


if __name__ == "__main__":
    sys.exit(main())

"""Bulk update of one custom field over 100,000 accounts, audited (REQ IM-4; target ≥ 5,000/s).

    .venv/bin/python -m bench.bulk_update --db sqlite
    .venv/bin/python -m bench.bulk_update --db postgres   # server from $DATABASE_URL or localhost

Builds a throw-away database (a temporary SQLite file, or a ``kesher_bench_bulk`` PostgreSQL
database dropped afterwards), creates the accounts with ``bulk_create``, then runs the worker's
path (``bulk_start`` → ``bulk_job_run``: validation, per-record rules, chunked UPDATE, one audit
row per record, progress per chunk) and, as its floor, a bare SQL ``UPDATE`` setting the same
key on the same rows. Runs alternate; the figures go to ``bench/results/bulk-update-<db>.md``.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.database import engine_version, scratch_database

RESULTS = Path(__file__).resolve().parent / "results"
PG_NAME = "kesher_bench_bulk"


def _prepare_database(db: str) -> tuple[str, object]:
    """Point Django at a fresh database; returns a description and a clean-up callable."""
    return scratch_database(db, pg_name=PG_NAME, prefix="kesher-bulk-")


def _setup(records: int):
    """Migrate, then an admin, a pick-list custom field and ``records`` accounts."""
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from kesher.customers.models import Account
    from kesher.org.models import User
    from kesher.platform.models import Choice, CustomField

    actor = User.objects.create_superuser("bench", "bench@example.co.il", None)
    for value, label in (("north", "צפון"), ("south", "דרום"), ("center", "מרכז")):
        Choice.objects.create(list_key="region", value=value, label_he=label)
    CustomField.objects.create(
        entity="accounts", key="region", label_he="אזור", type="choice", choice_list="region"
    )
    started = time.perf_counter()
    Account.objects.bulk_create(
        (
            Account(name=f"לקוח {i}", city="חיפה", owner=actor, custom={"score": i % 100})
            for i in range(records)
        ),
        batch_size=5000,
    )
    return actor, time.perf_counter() - started


def _vacuum() -> None:
    """Reclaim the dead rows of the previous run before the next (PostgreSQL; not timed), so
    every run and its floor start from the same table."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE customers_account")


def _engine_run(actor, value: str) -> tuple[float, dict]:
    from kesher.platform.bulk import actions as bulk
    from kesher.platform.models import BulkJob

    started = time.perf_counter()
    plan = bulk.bulk_prepare(
        "accounts", actor=actor, action="update", field="custom.region", value=value, filter={}
    )
    _outcome, job = bulk.bulk_start(plan)
    assert job is not None, "100,000 records must go to the worker"
    bulk.bulk_job_run(job.pk)
    elapsed = time.perf_counter() - started
    job = BulkJob.objects.get(pk=job.pk)
    return elapsed, {"status": job.status, "updated": job.updated, "rejected": job.rejected_count}


def _floor_run(value: str) -> float:
    """The same change as bare SQL: one UPDATE of the key and the version over the rows."""
    from django.db import connection, transaction

    if connection.vendor == "sqlite":
        sql = (
            "UPDATE customers_account SET custom = json_set(custom, '$.\"region\"', json(%s)), "
            "version = version + 1, updated_at = %s"
        )
    else:
        sql = (
            "UPDATE customers_account SET custom = jsonb_set(custom, '{region}', %s::jsonb), "
            "version = version + 1, updated_at = %s"
        )
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [f'"{value}"', datetime.now(UTC)])
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bulk_update", description=__doc__)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="print only, no results file")
    args = parser.parse_args(argv)
    load_before = os.getloadavg()[0]
    where, cleanup = _prepare_database(args.db)
    try:
        actor, load_seconds = _setup(args.records)
        from kesher.platform.models import AuditEntry

        rows = []
        for run in range(args.runs):
            value = ("north", "south")[run % 2]
            _vacuum()
            seconds, result = _engine_run(actor, value)
            assert result["updated"] == args.records, result
            _vacuum()
            floor = _floor_run("center")  # back to another value, so the next run changes all
            rows.append((seconds, floor))
            print(
                f"run {run + 1}: bulk update {args.records / seconds:,.0f} records/s "
                f"({seconds:.2f} s) · floor {args.records / floor:,.0f} rows/s ({floor:.2f} s) · "
                f"×{seconds / floor:.1f}",
                flush=True,
            )
        audits = AuditEntry.objects.filter(action="update").count()
        assert audits == args.records * args.runs, audits
        engine = engine_version()
    finally:
        cleanup()
    best = min(rows)
    command = ".venv/bin/python -m bench.bulk_update " + " ".join(
        shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:])
    )
    lines = [
        f"# Bulk update of one custom field — {args.db}",
        "",
        f"- command: `{command}`",
        f"- when: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {engine}; {where}",
        f"- machine: {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}",
        f"- load average (other work on the machine): {load_before:.1f} at the start, "
        f"{os.getloadavg()[0]:.1f} at the end",
        f"- data: {args.records:,} accounts made with bulk_create in {load_seconds:.1f} s",
        "- measured: `bulk_start` + `bulk_job_run` (the worker's path): value validated once, "
        "per-record rules over 2,000-row chunks, UPDATE with `json_set`/`jsonb_set`, version + 1, "
        "one audit row per record, progress saved per chunk, a transaction per chunk",
        "- floor: one bare SQL `UPDATE` of the same key, version and `updated_at` over the rows",
        "- target: ≥ 5,000 records/s (DESIGN.md, REQ IM-4)",
        "",
        "| run | bulk update (records/s) | seconds | floor (rows/s) | floor seconds | ratio |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for index, (seconds, floor) in enumerate(rows, 1):
        lines.append(
            f"| {index} | {args.records / seconds:,.0f} | {seconds:.2f} | "
            f"{args.records / floor:,.0f} | {floor:.2f} | ×{seconds / floor:.1f} |"
        )
    verdict = "meets" if args.records / best[0] >= 5000 else "MISSES"
    lines += ["", f"Best run: {args.records / best[0]:,.0f} records/s — {verdict} the target.", ""]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / f"bulk-update-{args.db}.md").write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

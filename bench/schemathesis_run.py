"""schemathesis's long run (issue 24 item 3): ≥ 20,000 generated requests against every
operation of Kesher's OpenAPI schema — valid and invalid input — as a signed-in administrator,
through the WSGI app, on a fresh migrated database; 0 server errors and 0 answers the schema
does not declare are the target. The suite's bounded run (``test_api_fuzz.py``) calls the same
code (``kesher/platform/testing/fuzz.py``) with a few cases per operation.

    .venv/bin/python bench/schemathesis_run.py --db sqlite
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/schemathesis_run.py --db postgres

``--examples N`` cases per operation and mode (default 14: ~738 operations × 2 modes, less
the operations with nothing to make invalid, ≥ 20,000 requests); ``--seed``. Writes
``bench/results/schemathesis-<db>.md`` with the requests, the answers by status, every
failed check (the first of each kind per operation, with its request), the time and the load
average. There is no floor: the figure is a count of failures, not a speed.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--examples", type=int, default=14)
    parser.add_argument("--seed", type=int, default=24)
    parser.add_argument("--pg-name", default="kesher_bench_fuzz")
    parser.add_argument("--results-dir", default=str(ROOT / "bench" / "results"))
    args = parser.parse_args()

    from bench.database import scratch_database

    where, cleanup = scratch_database(args.db, pg_name=args.pg_name, prefix="kesher-fuzz-")
    # Every answer counts, not the rate limits: the run is one caller with one token.
    unlimited = "100000000/hour"
    os.environ["KESHER_API_RATE_TOKEN"] = os.environ["KESHER_API_RATE_USER"] = unlimited
    os.environ["KESHER_ACCESS_LOG"] = "1"
    import logging

    import django

    django.setup()
    # Each 4xx would be logged as a warning: tens of thousands of lines.
    logging.getLogger("django.request").setLevel(logging.ERROR)
    try:
        return _run(args, where)
    finally:
        cleanup()


def _run(args, where: str) -> int:
    from django.core.management import call_command

    from kesher.org.models import Role, User
    from kesher.org.services import api_token_create
    from kesher.platform.testing.fuzz import fuzz

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    admin = User.objects.create(username="fuzz-admin", role=Role.objects.get(key="admin"))
    _token, key = api_token_create(user=admin, name="schemathesis", actor=admin)
    setup = time.perf_counter() - started

    out = Path(args.results_dir) / f"schemathesis-{args.db}.md"
    total = len(api_schema_operations())

    def progress(label, result):
        if result.operations % 25 == 0:
            print(
                f"{result.operations} operations, {result.requests} requests, "
                f"{result.server_errors} server errors, {len(result.findings)} failed checks",
                flush=True,
            )
            # Written as it goes: a run cut short still says what it did.
            result.seconds = time.perf_counter() - fuzz_started
            _write(out, args, where, setup, result, total, finished=False)

    fuzz_started = time.perf_counter()
    result = fuzz(
        token=key,
        plan=lambda label: {"positive": args.examples, "negative": args.examples},
        seed=args.seed,
        progress=progress,
    )
    _write(out, args, where, setup, result, total, finished=True)
    print(out.read_text())
    return 1 if result.server_errors or result.findings else 0


def api_schema_operations() -> list[str]:
    from kesher.platform.testing.fuzz import api_schema

    return [
        f"{method.upper()} {path}"
        for path, operations in api_schema()["paths"].items()
        for method in operations
        if method in ("get", "post", "put", "patch", "delete")
    ]


def _write(out: Path, args, where: str, setup: float, result, total: int, finished: bool):
    from bench.timing import machine_and_run_lines

    state = (
        "finished"
        if finished
        else f"**partial: {result.operations} of {total} operations so far** (written as the "
        "run goes; the run was still going)"
    )
    lines = [
        f"# schemathesis against the OpenAPI schema — {args.db}",
        "",
        f"Issue 24 item 3; decision 0113. {where}, migrated ({setup:.0f} s with the "
        "administrator and his token); every operation of the schema called through the WSGI "
        f"app as that administrator, {args.examples} generated cases per operation and mode "
        f"(valid and invalid input), seed {args.seed}. State: {state}.",
        "",
        "| what | figure |",
        "|---|---|",
        f"| operations | {result.operations} of {total} |",
        f"| requests | {result.requests:,} |",
        f"| server errors (5xx) | {result.server_errors} |",
        f"| failed checks (status, content type, body against the schema) | "
        f"{len(result.findings)} |",
        f"| time | {result.seconds:.0f} s "
        f"({result.requests / max(result.seconds, 0.001):.1f} requests/s) |",
        "",
        "Answers by status: "
        + ", ".join(f"{status}: {count:,}" for status, count in sorted(result.statuses.items())),
        "",
    ]
    if result.findings:
        lines += ["## Failed checks (the first of each kind per operation)", ""]
        seen = set()
        for finding in result.findings:
            kind = (finding.check, finding.operation, finding.status)
            if kind in seen:
                continue
            seen.add(kind)
            lines += [
                f"- {finding.check}: `{finding.operation}` → {finding.status}: "
                f"{finding.message[:300]}",
                f"  - `{finding.request[:300]}`",
            ]
        lines.append("")
    lines += machine_and_run_lines([sys.executable, *sys.argv])
    out.write_text("\n".join(lines))


if __name__ == "__main__":
    raise SystemExit(main())

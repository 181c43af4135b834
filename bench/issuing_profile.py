"""Where issuing's time goes: one process, no contention — the per-document cost of issuing a
quote and a tax invoice (with its allocation number from the local fake) through Kesher's
services against the same rows written bare (``bench/issuing.py``'s floor, the same code),
and the statements each side sends. It explains ``bench/issuing.py``'s ratios (decision 0097):
whatever the ratio is with one process, the concurrent run cannot do better, because on two
cores it is bound by the processor, not by the numbering lock.

    .venv/bin/python -m bench.issuing_profile --db sqlite
    .venv/bin/python -m bench.issuing_profile --db postgres

The same throw-away database and drafts as ``bench/issuing.py`` (one process's worth). The
documents go in rounds of 20, figure and floor in turn (the order flipped every round); a
document's time is its round's time over 20. Then one more round of each figure under
``cProfile``, its time split by where it is spent: Django's ORM building statements and
models, the database driver executing them, the HTTP calls to the fake, Kesher's own code,
and the rest. Results go to ``bench/results/issuing-profile-<db>.md``.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path

from bench.database import engine_version, scratch_database

RESULTS = Path(__file__).resolve().parent / "results"
ROUND = 20


def _bucket(filename: str) -> str:
    if "/django/db/backends/" in filename or "sqlite3" in filename or "psycopg" in filename:
        return "database driver (executing statements, reading rows)"
    if "/django/db/models/" in filename or "/django/db/" in filename:
        return "Django ORM (building statements, making models)"
    if "/urllib/" in filename or "/http/" in filename or "socket" in filename:
        return "HTTP to the fake Tax Authority"
    if "/kesher/" in filename:
        return "Kesher's own code"
    if "/django/" in filename:
        return "Django (translation, signals, time zones…)"
    return "the rest (Python's standard library, JSON, decimals…)"


def _split(profile: cProfile.Profile) -> dict[str, float]:
    """Each function's own time, summed by where it lives."""
    totals: dict[str, float] = {}
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    for (filename, _line, name), (_cc, _nc, own, _cum, _callers) in stats.items():
        where = filename if filename != "~" else name
        key = _bucket(where)
        totals[key] = totals.get(key, 0.0) + own
    return totals


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--documents", type=int, default=200)
    options = parser.parse_args(argv)
    where, cleanup = scratch_database(
        options.db, pg_name="kesher_bench_issuing_profile", prefix="kesher-issuing-profile-"
    )
    try:
        import bench.issuing as issuing

        admin, _companies, drafts, types = issuing._setup(1, options.documents + ROUND + 2)
        from django.conf import settings
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from bench.timing import machine_and_run_lines
        from kesher.billing.allocation import request_allocations
        from kesher.billing.models import TaxDocument
        from kesher.billing.services import document_issue
        from kesher.billing.tests.fake_tax_authority import FakeTaxAuthority
        from kesher.quotes.models import Quote
        from kesher.quotes.services import quote_send

        fake = FakeTaxAuthority()
        settings.KESHER_TAX_AUTHORITY = fake.settings(TIMEOUT=30)
        settings.KESHER_PRACTICE = False
        bare = issuing.Bare(connection, admin.pk, types, dict(settings.KESHER_TAX_AUTHORITY))

        def figure_quotes(ids):
            for pk in ids:
                quote_send(Quote.objects.get(pk=pk), actor=admin)

        def floor_quotes(ids):
            for pk in ids:
                bare.send_quote(pk)

        def figure_invoices(ids):
            for pk in ids:
                document_issue(TaxDocument.objects.get(pk=pk), actor=admin)
            while request_allocations():
                pass

        def floor_invoices(ids):
            for pk in ids:
                bare.issue_invoice(pk)
            bare.allocate_all()

        sides = {
            "quote": (figure_quotes, floor_quotes),
            "invoice": (figure_invoices, floor_invoices),
        }
        queues = {key: list(ids) for key, ids in drafts.items()}

        def take(kind, side, n):
            ids, queues[(kind, side)] = queues[(kind, side)][:n], queues[(kind, side)][n:]
            return ids

        with fake:
            statements = {}
            for kind, (figure, floor) in sides.items():
                # The first of each warms the caches; the second is counted.
                figure(take(kind, "figure", 1))
                floor(take(kind, "floor", 1))
                with CaptureQueriesContext(connection) as fig:
                    figure(take(kind, "figure", 1))
                with CaptureQueriesContext(connection) as flo:
                    floor(take(kind, "floor", 1))
                statements[kind] = (len(fig.captured_queries), len(flo.captured_queries))
            seconds = {(kind, side): 0.0 for kind in sides for side in ("figure", "floor")}
            counted = dict.fromkeys(sides, 0)
            for number in range(options.documents // ROUND):
                for kind, (figure, floor) in sides.items():
                    pair = [("figure", figure), ("floor", floor)]
                    for side, run in pair if number % 2 == 0 else pair[::-1]:
                        ids = take(kind, side, ROUND)
                        started = time.perf_counter()
                        run(ids)
                        seconds[(kind, side)] += time.perf_counter() - started
                    counted[kind] += ROUND
            splits = {}
            for kind, (figure, _floor) in sides.items():
                profile = cProfile.Profile()
                ids = take(kind, "figure", ROUND)
                profile.enable()
                figure(ids)
                profile.disable()
                splits[kind] = _split(profile)
        rows = []
        for kind, label in (("quote", "a quote sent"), ("invoice", "a tax invoice allocated")):
            fig = seconds[(kind, "figure")] / counted[kind] * 1000
            flo = seconds[(kind, "floor")] / counted[kind] * 1000
            rows.append(
                f"| {label} | {fig:.2f} | {statements[kind][0]} | {flo:.2f} "
                f"| {statements[kind][1]} | {fig / flo:.2f}× |"
            )
        split_lines = []
        for kind, split in splits.items():
            total = sum(split.values())
            each = total * 1000 / ROUND
            split_lines.append(f"\n**{kind}** (under cProfile, {each:.1f} ms each):\n")
            split_lines.append("| where | share |")
            split_lines.append("|---|---|")
            for key, value in sorted(split.items(), key=lambda item: -item[1]):
                split_lines.append(f"| {key} | {value / total:.0%} |")
        command = [sys.executable.rsplit("/", 1)[-1], "-m", "bench.issuing_profile"]
        command += argv if argv is not None else sys.argv[1:]
        report = "\n".join(
            [
                f"# Where issuing's time goes — {options.db}, one process",
                "",
                "Per document, one process, no contention (`bench/issuing_profile.py`): Kesher's",
                "services against `bench/issuing.py`'s floor (the same rows, bare, same lock).",
                "",
                "| document | figure ms | statements | floor ms | statements | figure / floor |",
                "|---|---|---|---|---|---|",
                *rows,
                *split_lines,
                "",
                f"- {options.documents} documents of each kind and side, in rounds of {ROUND} "
                "(figure and floor in turn, the order flipped every round); the statements "
                "are those of one document after a warm-up one (the invoice's include its "
                "worker's claim).",
                f"- Database: {where} ({engine_version()}).",
                *machine_and_run_lines(command),
            ]
        )
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / f"issuing-profile-{options.db}.md").write_text(report, encoding="utf-8")
        print(report)
        return 0
    finally:
        cleanup()


if __name__ == "__main__":
    sys.exit(main())

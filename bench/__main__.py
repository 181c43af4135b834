"""Kesher's benchmarks: ``python -m bench run --db sqlite`` (or ``--db postgres``).

``run`` generates the reference data set when the benchmark database lacks it (or holds another
size), then measures and writes ``bench/results/<date>-<db>.md`` and ``.json``.
``generate`` only (re)builds the data set. See bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
from pathlib import Path

from bench.database import DEFAULT_POSTGRES_NAME, configure_django, create_database, target_for

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (
        ("run", "generate the data set if missing, measure, write results"),
        ("generate", "rebuild the data set from scratch"),
    ):
        command = commands.add_parser(name, help=help_text)
        command.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
        command.add_argument("--sqlite-path", help="SQLite file (default var/bench/...)")
        command.add_argument(
            "--database-url", help="PostgreSQL server (default $DATABASE_URL or localhost)"
        )
        command.add_argument(
            "--pg-name", default=DEFAULT_POSTGRES_NAME, help="PostgreSQL database to use"
        )
        command.add_argument("--contacts", type=int, default=1_000_000)
        command.add_argument("--accounts", type=int, default=200_000)
        command.add_argument("--owners", type=int, default=50)
        command.add_argument("--seed", type=int, default=1)
        if name == "run":
            command.add_argument("--runs", type=int, default=40, help="timed runs per figure")
            command.add_argument("--warmup", type=int, default=5)
            command.add_argument("--results-dir", default=str(RESULTS_DIR))
            command.add_argument("--only", help="measure only figures whose key contains this")
            command.add_argument(
                "--profile", help="write a pyinstrument profile of the figure with this key"
            )
    return parser


def _command_line(argv: list[str]) -> str:
    return ".venv/bin/python -m bench " + " ".join(shlex.quote(a) for a in argv)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _parser().parse_args(argv)
    target = target_for(
        args.db,
        sqlite_path=args.sqlite_path,
        database_url=args.database_url,
        postgres_name=args.pg_name,
    )
    from bench.generate import Plan

    plan = Plan(contacts=args.contacts, accounts=args.accounts, owners=args.owners, seed=args.seed)
    create_database(target, fresh=args.command == "generate")
    configure_django(target)
    from bench.dataset import ensure_dataset

    ensure_dataset(target, plan, rebuild=args.command == "generate")
    if args.command == "generate":
        return 0
    from django.conf import settings

    from bench.report import write_results
    from bench.scenarios import run_all

    # Kesher's URLs, and beside them the bare views some figures use as their floor.
    settings.ROOT_URLCONF = "bench.urls"

    started = time.perf_counter()
    load_average_start = os.getloadavg()[0]
    figures, context = run_all(
        runs=args.runs, warmup=args.warmup, only=args.only, profile=args.profile
    )
    paths = write_results(
        figures,
        context,
        target=target,
        command=_command_line(argv),
        results_dir=Path(args.results_dir),
        elapsed_s=time.perf_counter() - started,
        load_average_start=load_average_start,
    )
    for path in paths:
        print(f"wrote {path}")
    failed = [f.key for f in figures if f.passed is False]
    if failed:
        print("missed the target: " + ", ".join(failed))
    return 0


if __name__ == "__main__":
    sys.exit(main())

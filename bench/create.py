"""The API create as clients send it, over the reference data set (issue 26 item 5):

    .venv/bin/python -m bench.create --db sqlite
    .venv/bin/python -m bench.create --db postgres --pg-name kesher_bench   # the set to copy

``POST /api/v1/contacts/`` with 20 enabled automation rules on contacts (``bench.automation``'s
quiet rules), into a copy of the reference data set (1,000,000 contacts: the duplicate check
has a million records to look among), three kinds of request taking turns one by one:

* **bare** — the floor: the same request through the same middleware and DRF authentication,
  answered by ``bench/bare_create.py`` (at ``/bench/create/contacts/``, bench/urls.py), which
  writes the same contact row, its audit entry and its search tokens by bare SQL;
* **clients** — the create as clients send it: no ``?force``, so the duplicate check runs
  (``kesher.dedupe.specs.find_candidates``), then the create;
* **forced** — ``?force=true``: the create without the check, for what the check adds.

Each payload is a new contact as an API client sends one — a first name and a double-barrelled
last name drawn from the data set's own vocabulary (so name prefixes meet as many records as
real names do), a city, a new mobile number and e-mail address. Drawn names that the check
finds similar to existing records are set aside before measuring (their share is reported):
every timed create is answered 201 after the check ran in full. Target: clients ≤ 1.5 × bare.

The copy (``bench.dedupe.copy_database``: SQLite's backup API into a temporary folder, or
PostgreSQL's ``CREATE DATABASE … TEMPLATE``) is removed afterwards. Results go to
``bench/results/<date>-create-<db>.md``; ``--profile`` writes a pyinstrument profile of the
clients' creates to ``var/bench/profiles/create-<db>.txt``.
"""

from __future__ import annotations

import argparse
import os
import random
import shlex
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.database import (
    DEFAULT_POSTGRES_NAME,
    DEFAULT_SQLITE_PATH,
    ROOT,
    configure_django,
    engine_version,
)
from bench.timing import machine_speed

RESULTS = Path(__file__).resolve().parent / "results"
PROFILES = ROOT / "var" / "bench" / "profiles"
COPY_NAME = "kesher_create_bench"
TARGET_RATIO = 1.5
KINDS = ("bare", "clients", "forced")


def payloads(count: int, seed: int) -> list[dict]:
    """``count`` new contacts drawn from the reference set's vocabulary, with a mobile
    number and an e-mail address no record has (a range the generator never draws). The
    data set holds most of its vocabulary's first and last names in every large city (of
    names drawn as it draws them, the check finds 93% like existing records), so each new
    last name is two of its last names joined by a hyphen."""
    from bench import vocabulary as vocab

    rng = random.Random(seed)
    hebrew_last = [he for he, _la, _w in vocab.HEBREW_LAST_NAMES]
    hebrew_weights = [w for _he, _la, w in vocab.HEBREW_LAST_NAMES]
    cities = [c for c, _w in vocab.CITIES]
    city_weights = [w for _c, w in vocab.CITIES]
    made = []
    for n in range(count):
        # A double-barrelled last name ("כהן-פרץ"): its start is as common as the data set's
        # names (the check reads as many candidates), the whole is new.
        if rng.random() < 0.7:
            first = rng.choice(vocab.HEBREW_FIRST_NAMES)[0]
            last = "-".join(rng.choices(hebrew_last, weights=hebrew_weights, k=2))
        else:
            first = rng.choice(vocab.ENGLISH_FIRST_NAMES)
            last = "-".join(rng.choices(vocab.ENGLISH_LAST_NAMES, k=2))
        made.append(
            {
                "first_name": first,
                "last_name": last,
                "city": rng.choices(cities, weights=city_weights)[0],
                "mobile": f"+972599{n:06d}",
                "email": f"new.contact.{seed}.{n}@create.bench.test",
            }
        )
    return made


def clear_payloads(admin, wanted: int, seed: int) -> tuple[list[dict], int]:
    """The first ``wanted`` drawn payloads the duplicate check finds nothing like — neither
    among the records nor among the payloads kept before them (each is created in turn) —
    and how many were drawn to get them."""
    from rapidfuzz import fuzz

    from kesher.dedupe.specs import find_candidates, name_threshold, spec_for

    spec = spec_for("contacts")
    threshold = name_threshold()
    kept: list[dict] = []
    by_city: dict[str, list[str]] = {}
    drawn = 0
    for payload in payloads(wanted * 4, seed):
        if len(kept) == wanted:
            break
        drawn += 1
        name, city = spec.name_of(payload), spec.block_of(payload)
        if any(fuzz.token_sort_ratio(name, other) >= threshold for other in by_city.get(city, [])):
            continue
        if find_candidates(spec, admin, payload):
            continue
        kept.append(payload)
        by_city.setdefault(city, []).append(name)
    if len(kept) < wanted:
        raise SystemExit(f"only {len(kept)} of {drawn} drawn contacts are new; draw more")
    return kept, drawn


URLS = {
    "bare": "/bench/create/contacts/",
    "clients": "/api/v1/contacts/",
    "forced": "/api/v1/contacts/?force=true",
}


def measure(admin, sources: dict[str, list[dict]], warmup: int, profile_to: Path | None) -> dict:
    """Every request timed alone, the kinds taking turns request by request (the order turning
    each time), so a burst of load from elsewhere falls on all three alike."""
    from django.test.utils import override_settings, setup_test_environment
    from rest_framework.test import APIClient

    setup_test_environment()
    client = APIClient(HTTP_ACCEPT_LANGUAGE="he", SERVER_NAME="localhost")
    client.force_authenticate(admin)
    times: dict[str, list[float]] = {kind: [] for kind in KINDS}
    profiler = None
    if profile_to:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
    count = len(sources["clients"])
    with override_settings(ROOT_URLCONF="bench.urls"):
        for number in range(count):
            for kind in KINDS[number % 3 :] + KINDS[: number % 3]:
                profiling = profiler is not None and kind == "clients" and number >= warmup
                if profiling:
                    profiler.start()
                began = time.perf_counter()
                response = client.post(URLS[kind], sources[kind][number], format="json")
                spent = (time.perf_counter() - began) * 1000
                if profiling:
                    profiler.stop()
                if response.status_code != 201:
                    raise SystemExit(f"{kind}: {response.status_code} {response.content[:300]!r}")
                if number >= warmup:
                    times[kind].append(spent)
    if profiler:
        profile_to.parent.mkdir(parents=True, exist_ok=True)
        profile_to.write_text(profiler.output_text(unicode=True, show_all=False))
    return {
        kind: {
            "p50": statistics.median(values),
            "mean": statistics.mean(values),
            "p95": statistics.quantiles(values, n=20)[18],
        }
        for kind, values in times.items()
    }


def check_cost(admin, sample: list[dict]) -> dict:
    """The duplicate check alone on ``sample`` (new contacts), and the SQL it ran."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kesher.dedupe.specs import find_candidates, spec_for

    spec = spec_for("contacts")
    times = []
    with CaptureQueriesContext(connection) as captured:
        for payload in sample:
            began = time.perf_counter()
            find_candidates(spec, admin, payload)
            times.append((time.perf_counter() - began) * 1000)
    statements = captured.captured_queries
    times.sort()
    return {
        "p50": statistics.median(times),
        "p95": times[int(len(times) * 0.95)],
        "statements": len(statements) / len(sample),
        "sql_ms": sum(float(q["time"]) for q in statements) * 1000 / len(sample),
        "sql": statements[-1]["sql"] if statements else "",
    }


def _plan(sql: str) -> str:
    from django.db import connection

    explain = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    with connection.cursor() as cursor:
        cursor.execute(explain + sql)
        rows = cursor.fetchall()
    return "\n".join(str(row[-1]) if connection.vendor == "sqlite" else row[0] for row in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.create", description=__doc__)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--sqlite-path", type=Path, default=DEFAULT_SQLITE_PATH)
    parser.add_argument("--pg-name", default=DEFAULT_POSTGRES_NAME)
    parser.add_argument("--creates", type=int, default=1500, help="timed creates of each kind")
    parser.add_argument("--warmup", type=int, default=100, help="creates of each kind first")
    parser.add_argument("--seed", type=int, default=26)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--no-write", action="store_true", help="print only, no results file")
    args = parser.parse_args(argv)
    load_before = os.getloadavg()

    from bench.dedupe import copy_database

    target, where, cleanup = copy_database(
        args.db, source_sqlite=args.sqlite_path, source_pg=args.pg_name, copy_name=COPY_NAME
    )
    try:
        configure_django(target)
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        from bench.automation import _rules
        from kesher.automation.engine import invalidate_rules
        from kesher.customers.models import Contact
        from kesher.org.models import User

        admin = User.objects.get(username="bench_admin")
        records = Contact._base_manager.count()
        _rules(admin, matching=False)
        invalidate_rules()
        per_kind = args.warmup + args.creates
        # Every kind's payloads pass the check, against the records and each other (the
        # bare view checks nothing, but its rows are there for the next checks).
        clear, drawn = clear_payloads(admin, per_kind * 3, args.seed)
        sources = {kind: clear[n * per_kind : (n + 1) * per_kind] for n, kind in enumerate(KINDS)}
        check = check_cost(admin, payloads(300, args.seed + 2))
        profile_to = PROFILES / f"create-{args.db}.txt" if args.profile else None
        result = measure(admin, sources, args.warmup, profile_to)
        plan = _plan(check["sql"]) if check["sql"] else ""
        engine = engine_version()
    finally:
        cleanup()
    ms = {kind: figures["p50"] for kind, figures in result.items()}
    ratio = ms["clients"] / ms["bare"]
    verdict = "meets" if ratio <= TARGET_RATIO else "MISSES"
    command = ".venv/bin/python -m bench.create " + " ".join(
        shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:])
    )
    spread = "; ".join(
        f"{kind} p50 {r['p50']:.2f}, mean {r['mean']:.2f}, p95 {r['p95']:.2f}"
        for kind, r in result.items()
    )
    lines = [
        f"# API create as clients send it, over {records:,} contacts — {args.db}",
        "",
        f"- command: `{command}`",
        f"- when: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {where}",
        f"- database: {engine}",
        f"- machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}; {machine_speed()}",
        f"- load average (other work on the machine): {load_before[0]:.1f} at the start, "
        f"{os.getloadavg()[0]:.1f} at the end",
        f"- measured: `POST /api/v1/contacts/` through DRF's test client as the administrator,"
        f" 20 enabled automation rules on contacts (none matching), {args.creates:,} creates of"
        " each kind, each request timed alone, the three kinds taking turns request by request"
        f" (the order turning each time), after {args.warmup} of each kind as warm-up; figures"
        " are the median ms per create",
        "- payloads: a new contact as clients send one — a first name and a double-barrelled"
        ' last name ("כהן-פרץ": its start as common as the data set\'s, the whole new) from'
        " the data set's vocabulary (70% Hebrew), a city, a mobile number and an e-mail"
        " address; "
        f"{drawn - per_kind * 3:,} of the first {drawn:,} drawn were set aside because the"
        " check found existing records like them (common names in the same city), so every"
        " timed create passed the whole check and was written",
        "- floor: `bench/bare_create.py` — the same request and authentication writing the"
        " same contact row, its audit entry and its search tokens by bare SQL",
        "",
        "| figure | ms per create (p50) | floor (bare, p50) | ratio | target | |",
        "|---|---:|---:|---:|---:|---|",
        f"| create.api_clients — no `?force`: duplicate check, then the create | "
        f"{ms['clients']:.2f} | {ms['bare']:.2f} | ×{ratio:.2f} | ≤ ×{TARGET_RATIO} | {verdict} |",
        f"| create.api_forced — `?force=true`: the create without the check | "
        f"{ms['forced']:.2f} | {ms['bare']:.2f} | ×{ms['forced'] / ms['bare']:.2f} | | |",
        f"| create.check_added — clients − forced | {ms['clients'] - ms['forced']:.2f} | | | | |",
        f"| dedupe.check — `find_candidates` alone on 300 new contacts, p50 / p95"
        f" | {check['p50']:.2f} / {check['p95']:.2f} | SQL {check['sql_ms']:.2f} ms in"
        f" {check['statements']:.0f} statement(s) | | | |",
        "",
        f"ms per create: {spread}.",
        "",
        "The check's statement (the last of the sample) and its plan:",
        "",
        "```sql",
        check["sql"][:3000],
        "```",
        "```",
        plan,
        "```",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        RESULTS.mkdir(parents=True, exist_ok=True)
        today = datetime.now(UTC).date().isoformat()
        (RESULTS / f"{today}-create-{args.db}.md").write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Automation benchmarks (issue 5 "Performance"):

* creating contacts through the API (DRF's test client, one process) with 20 enabled rules on
  contacts: ≥ 300 records/s, and rules that do not match add ≤ 1 ms per save. Four kinds of
  rounds alternate: the bare floor (the same request answered by a view that writes the same
  rows by bare SQL, ``bench/bare_create.py``), no rules, 20 rules none of which matches, and 20
  rules of which two match one contact in ten (their runs are written and queued; no worker
  runs them here);
* finding time-based and idle rules' due records among 1,000,000 accounts: ≤ 200 ms per worker
  tick. The time rule fires 2 hours after an account's last contact (an indexed column); the
  idle rule fires 30 days after its last change (``updated_at``). One tick scans the minute
  since the last tick (``kesher.automation.schedule.scan_rule``, committed; the rule's window
  is moved back a minute before each run).

    .venv/bin/python -m bench.automation --db sqlite
    .venv/bin/python -m bench.automation --db postgres   # server from $DATABASE_URL or localhost

Builds a throw-away database (``bench.database.scratch_database``). Floors: the records/s of
the bare create and of the same creates with no rules, and for the scans the SQL each scan
ran, captured once and replayed bare through the cursor. Results go to
``bench/results/automation-<db>.md``.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shlex
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.database import engine_version, scratch_database
from bench.timing import machine_speed

RESULTS = Path(__file__).resolve().parent / "results"
PG_NAME = "kesher_automation_bench"
CHUNK = 20_000
CITIES = ("חיפה", "תל אביב", "ירושלים", "באר שבע", "אילת", "עכו", "נתניה", "חולון", "רמלה", "לוד")


def _rules(admin, *, matching: bool) -> list:
    """20 rules on contacts: 18 whose trigger or condition never matches a new contact, and
    two more that never match, or (``matching``) that match contacts in Haifa (1 in 10)."""
    from kesher.automation.services import rule_create

    tag = [{"type": "add_tag", "tag": "bench"}]
    made = []
    for n in range(12):
        made.append(
            rule_create(
                actor=admin,
                data={
                    "name": f"created, city {n}",
                    "entity": "contacts",
                    "trigger_kind": "created",
                    "condition": {"field": "city", "op": "eq", "value": f"nowhere {n}"},
                    "actions": tag,
                },
            )
        )
    for n, field in enumerate(("city", "email", "title", "notes", "phone", "mobile")):
        made.append(
            rule_create(
                actor=admin,
                data={
                    "name": f"{field} changed {n}",
                    "entity": "contacts",
                    "trigger_kind": "field_changed",
                    "trigger_config": {"field": field},
                    "actions": tag,
                },
            )
        )
    for n in range(2):
        city = "חיפה" if matching else f"never {n}"
        made.append(
            rule_create(
                actor=admin,
                data={
                    "name": f"created in {city}",
                    "entity": "contacts",
                    "trigger_kind": "created",
                    "condition": {"field": "city", "op": "eq", "value": city},
                    "actions": tag,
                },
            )
        )
    return made


def _create_round(client, count: int, start: int) -> float:
    began = time.perf_counter()
    for n in range(start, start + count):
        response = client.post(
            "/api/v1/contacts/?force=true",
            {"first_name": f"איש קשר {n}", "last_name": "בדיקה", "city": CITIES[n % 10]},
            format="json",
        )
        if response.status_code != 201:
            raise SystemExit(f"create failed: {response.status_code} {response.content[:300]}")
    return time.perf_counter() - began


def measure_creates(records: int, round_size: int) -> dict:
    from django.test.utils import override_settings, setup_test_environment
    from rest_framework.test import APIClient

    from kesher.automation.engine import invalidate_rules
    from kesher.automation.models import Rule, RuleRun
    from kesher.org.models import User

    setup_test_environment()
    admin = User.objects.create_superuser("bench-admin", "admin@example.co.il", None)
    client = APIClient(HTTP_ACCEPT_LANGUAGE="he", SERVER_NAME="localhost")
    client.force_authenticate(admin)
    quiet = _rules(admin, matching=False)
    loud = _rules(admin, matching=True)
    kinds = {"bare": [], "floor": [], "quiet": [], "matching": []}
    made = 0
    _create_round(client, 200, 10_000_000)  # warm-up
    with override_settings(ROOT_URLCONF="bench.bare_create"):
        _create_round(client, 200, 20_000_000)
    while made < records:
        for kind in kinds:
            Rule.objects.update(enabled=False)
            if kind == "quiet":
                Rule.objects.filter(pk__in=[r.pk for r in quiet]).update(enabled=True)
            if kind == "matching":
                Rule.objects.filter(pk__in=[r.pk for r in loud]).update(enabled=True)
            invalidate_rules()
            start = made * 4 + len(kinds[kind])
            if kind == "bare":
                with override_settings(ROOT_URLCONF="bench.bare_create"):
                    kinds[kind].append(_create_round(client, round_size, start))
            else:
                kinds[kind].append(_create_round(client, round_size, start))
        made += round_size
    per = {k: (sum(v), len(v) * round_size) for k, v in kinds.items()}
    matching_cost = _match_cost(admin, quiet, loud)
    return {
        "records": made,
        "rates": {k: n / seconds for k, (seconds, n) in per.items()},
        "ms_per_save": {k: seconds * 1000 / n for k, (seconds, n) in per.items()},
        "rounds": {k: [round_size / s for s in v] for k, v in kinds.items()},
        "runs_made": RuleRun.objects.count(),
        "match_cost": matching_cost,
    }


def _match_cost(admin, quiet, loud, events: int = 2000, repeats: int = 5) -> dict:
    """The engine alone: ms spent in `handle_event` per "created" event of a contact (as a
    save delivers it after commit), with no rules, the 20 quiet rules, and the 20 with two
    matching; alternating, the median of ``repeats`` passes over ``events`` contacts."""
    from kesher.automation.engine import _listening, handle_event, invalidate_rules
    from kesher.automation.models import Rule
    from kesher.customers.models import Contact
    from kesher.platform.events import Event

    contacts = list(Contact.objects.values_list("pk", "first_name", "city")[:events])
    passes = {"floor": [], "quiet": [], "matching": []}
    for _ in range(repeats):
        for kind, rules in (("floor", []), ("quiet", quiet), ("matching", loud)):
            Rule.objects.update(enabled=False)
            Rule.objects.filter(pk__in=[r.pk for r in rules]).update(enabled=True)
            invalidate_rules()
            _listening()
            began = time.perf_counter()
            for pk, first_name, city in contacts:
                changes = {"first_name": [None, first_name], "last_name": [None, "בדיקה"]}
                changes["city"] = [None, city]
                handle_event(Event("created", "contacts", pk, admin.pk, changes))
            passes[kind].append((time.perf_counter() - began) * 1000 / len(contacts))
    return {kind: statistics.median(values) for kind, values in passes.items()}


def _load_accounts(connection, count: int, now, rng) -> None:
    """``count`` accounts bulk-loaded: last contact within the past year, last change within
    the past 60 days (so some fall idle every minute)."""
    from kesher.customers.models import Account

    table = Account._meta.db_table
    columns = ("name", "city", "country", "kind", "last_contact_at", "created_at", "updated_at")
    placeholders = ", ".join(["%s"] * (len(columns) + 8))
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}, company_number, israeli_id, phone, mobile,"
        f" email, website, street, zip_code, club_member, notes, version, custom)"
        f" VALUES ({placeholders}, %s, %s, %s, %s)"
    )
    with connection.cursor() as cursor:
        made = 0
        while made < count:
            rows = []
            for n in range(made, min(count, made + CHUNK)):
                contact = now - timedelta(seconds=rng.randrange(365 * 86400))
                changed = now - timedelta(seconds=rng.randrange(60 * 86400))
                name = f"לקוח {n}"
                blanks = [""] * 8
                rows.append(
                    (
                        *(name, CITIES[n % 10], "ישראל", "organization"),
                        *(contact, changed, changed),
                        *blanks,
                        *(False, "", 1, "{}"),
                    )
                )
            cursor.executemany(sql, rows)
            made += len(rows)


def _timed(fn, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        fn()
        times.append((time.perf_counter() - began) * 1000)
    return times


def measure_scans(count: int, runs: int) -> dict:
    from django.db import connection, transaction
    from django.utils import timezone

    from kesher.automation.services import rule_create
    from kesher.org.models import User

    now = timezone.now()
    rng = random.Random(5)
    began = time.perf_counter()
    with transaction.atomic():
        _load_accounts(connection, count, now, rng)
    load_seconds = time.perf_counter() - began
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    admin = User.objects.filter(is_superuser=True).first()
    tag = [{"type": "add_tag", "tag": "bench"}]
    rules = {
        "time": rule_create(
            actor=admin,
            data={
                "name": "2 hours after the last contact",
                "entity": "accounts",
                "trigger_kind": "time",
                "trigger_config": {"field": "last_contact_at", "offset": 2, "unit": "hours"},
                "actions": tag,
            },
        ),
        "idle": rule_create(
            actor=admin,
            data={
                "name": "idle 30 days",
                "entity": "accounts",
                "trigger_kind": "idle",
                "trigger_config": {"days": 30},
                "actions": tag,
            },
        ),
    }
    results = {"load_seconds": load_seconds}
    _scan_each(rules, now, runs, results)
    return results


def _scan_each(rules: dict, now, runs: int, results: dict) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kesher.automation.models import Rule
    from kesher.automation.schedule import scan_rule

    for kind, rule in rules.items():
        state = {"now": now}

        def tick(rule=rule, state=state):
            state["now"] += timedelta(seconds=60)
            Rule.objects.filter(pk=rule.pk).update(
                scanned_until=state["now"] - timedelta(minutes=1)
            )
            return scan_rule(rule, state["now"])

        with CaptureQueriesContext(connection) as captured:
            tick()
        scan_sql = [
            q["sql"]
            for q in captured.captured_queries
            if "last_contact_at" in q["sql"]
            or ("updated_at" in q["sql"] and q["sql"].lstrip().upper().startswith("SELECT"))
        ]
        found = []

        def counted(tick=tick, found=found):
            found.append(tick())

        times = _timed(counted, runs)

        def floor(scan_sql=scan_sql):
            with connection.cursor() as cursor:
                for sql in scan_sql[-1:]:
                    cursor.execute(sql)
                    cursor.fetchall()

        floors = _timed(floor, runs)
        results[kind] = {
            "p50": statistics.median(times),
            "p95": statistics.quantiles(times, n=20)[18],
            "floor_p95": statistics.quantiles(floors, n=20)[18],
            "found": sum(found) / len(found),
            "sql": scan_sql[-1] if scan_sql else "",
        }


def _verdict(ok: bool) -> str:
    return "meets" if ok else "MISSES"


def _write(db: str, where: str, creates: dict, scans: dict, args, load) -> Path:
    rates, ms = creates["rates"], creates["ms_per_save"]
    added = ms["quiet"] - ms["floor"]
    cost = creates["match_cost"]
    command = shlex.join([".venv/bin/python", "-m", "bench.automation", *sys.argv[1:]])
    floor = (
        f"{rates['floor']:.0f}/s with no rules; {rates['bare']:.0f}/s bare"
        f" (×{rates['bare'] / rates['quiet']:.1f})"
    )
    lines = [
        f"# Automation — {db}",
        "",
        f"- command: `{command}`",
        f"- when: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {where}",
        f"- machine: {platform.machine()}, {os.cpu_count()} CPUs,"
        f" Python {platform.python_version()}; {machine_speed()}",
        f"- load average: {load[0]:.1f} at the start, {os.getloadavg()[0]:.1f} at the end",
        f"- creates: {creates['records']:,} contacts per kind of round through"
        f" `POST /api/v1/contacts/` (DRF test client, one process), rounds of {args.round}",
        f"- scans: {args.accounts:,} accounts bulk-loaded in {scans['load_seconds']:.1f} s;"
        f" {args.runs} ticks per rule",
        "- bare: the same request through the same middleware and DRF authentication writing"
        " the contact, its audit entry and its search tokens by bare SQL (`bench/bare_create.py`):"
        " what Django and DRF cost before Kesher validates anything; × is how many times faster"
        " than the create with 20 rules",
        "",
        "| figure | what | result | floor | target | |",
        "|---|---|---:|---:|---:|---|",
        "| automation.create_20_rules_matching | records/s, 20 enabled rules, 2 matching"
        f" 1 contact in 10 | {rates['matching']:.0f}/s | {floor} | ≥ 300/s"
        f" | {_verdict(rates['matching'] >= 300)} |",
        "| automation.create_20_rules_quiet | records/s, 20 enabled rules, none matching"
        f" | {rates['quiet']:.0f}/s | {floor} | ≥ 300/s | {_verdict(rates['quiet'] >= 300)} |",
        "| automation.engine_quiet | the engine's time per save (`handle_event`), 20 rules"
        f" none matching | {cost['quiet']:.3f} ms | {cost['floor']:.3f} ms (no rules) | ≤ 1 ms"
        f" | {_verdict(cost['quiet'] - cost['floor'] <= 1)} |",
        "| automation.engine_matching | the same, 2 of the 20 matching 1 contact in 10 (runs"
        f" written and queued) | {cost['matching']:.3f} ms | {cost['floor']:.3f} ms (no rules)"
        " | | |",
        "| automation.non_matching_cost | ms added per save through the API by 20 rules that"
        " do not match (noisy: see the rounds below)"
        f" | {added:.2f} ms | {ms['floor']:.2f} ms per save | ≤ 1 ms | {_verdict(added <= 1)} |",
    ]
    for kind, what in (
        ("time", "one tick of a time rule (2 h after `last_contact_at`, indexed)"),
        ("idle", "one tick of an idle rule (30 days after `updated_at`, index `account_updated`)"),
    ):
        s = scans[kind]
        lines.append(
            f"| automation.tick_{kind} | {what} over {args.accounts:,} accounts,"
            f" p50 {s['p50']:.1f} ms, {s['found']:.1f} due per tick | p95 {s['p95']:.1f} ms"
            f" | p95 {s['floor_p95']:.1f} ms | ≤ 200 ms | {_verdict(s['p95'] <= 200)} |"
        )
    per_round = "; ".join(
        " / ".join(f"{creates['rounds'][k][i]:.0f}" for k in ("bare", "floor", "quiet", "matching"))
        for i in range(len(creates["rounds"]["floor"]))
    )
    lines += [
        "",
        f"Runs written while the matching rules were on: {creates['runs_made']:,}.",
        "",
        f"Records/s per round (bare / no rules / quiet / matching): {per_round}",
        "",
        "The scans' SQL:",
        "",
        *(f"- {kind}: `{scans[kind]['sql'][:600]}`" for kind in ("time", "idle")),
        "",
    ]
    path = RESULTS / f"automation-{db}.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--records", type=int, default=10_000, help="contacts per kind of round")
    parser.add_argument("--round", type=int, default=500)
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    load = os.getloadavg()
    where, cleanup = scratch_database(args.db, pg_name=PG_NAME, prefix="kesher-automation-")
    try:
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)
        where = f"{engine_version()}; {where}"
        creates = measure_creates(args.records, args.round)
        scans = measure_scans(args.accounts, args.runs)
        print(_write(args.db, where, creates, scans, args, load))
    finally:
        cleanup()


if __name__ == "__main__":
    main()

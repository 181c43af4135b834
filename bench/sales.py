"""Sales benchmarks (issue 15 "Performance"), over a sales data set of their own:

    .venv/bin/python -m bench.sales --db sqlite      # var/bench/kesher_bench_sales.sqlite3
    .venv/bin/python -m bench.sales --db postgres    # database kesher_bench_sales

The data set: 100,000 deals (60,000 open) in 3 pipelines of the 8 stages of seed 003, 300,000
leads, and what they reference — 50 sales representatives in 5 departments, 20,000 accounts and
40,000 contacts made by the reference generator (``bench.generate``, with their search tokens).
It is generated when the database does not hold exactly the one asked for, with bulk inserts
as the reference set is (``executemany`` / ``COPY``, secondary indexes rebuilt once, then
``ANALYZE``). Every run measures on a copy (SQLite's backup API, PostgreSQL's ``TEMPLATE``)
dropped afterwards, since moves and conversions write.

Figures, each beside its floor, in rounds (every figure, then its floor, round after round):

* ``board`` — the board of the first pipeline (every column's first 25 cards, count and sum),
  as the page ``/sales/board/<id>/`` (server time through Django's test client) and as the
  selector ``kesher.sales.selectors.board``; floor: the best hand-written SQL for the same
  answer (the stages; each column's count and sum in one grouped statement; each column's first
  cards with their owner's and account's names in one ``UNION ALL``). Target p95 ≤ 100 ms and
  ≤ 3× the floor.
* ``move`` — moving a deal from "potential" to "proposal" with 20 enabled automation rules on
  deals (2 meant for this move, 18 not — among them the other pipelines' "proposal", of the
  same name, which the engine tells apart by the stage's id; the 2 runs are written and
  queued, no worker runs here), through the service ``opportunity_move_stage`` and through
  ``POST /api/v1/opportunities/<id>/move/``; a different deal each time; floor: the move's own
  writes (the deal's update, its audit entry, the queued runs) replayed bare in one transaction.
  Target p95 ≤ 50 ms and ≤ 2× the floor.
* ``forecast`` — the current quarter's forecast by owner over all deals, as the selector
  ``forecast`` and as ``GET /api/v1/forecast/``; floor: one hand-written grouped statement
  joining stages and owners. Target p95 ≤ 200 ms and ≤ 3× the floor.
* ``convert`` — converting leads through ``POST /api/v1/leads/<id>/convert/`` into an account,
  a contact and a deal, taking turns one by one with the floor: the same request through the
  same middleware and authentication answered by ``bench/bare_convert.py``, which writes the
  same rows by bare SQL (``bench/bare_create.py``'s method). Target: the API's total time ≤ 3×
  the floor's.

Results: ``bench/results/sales-<db>.md``; ``--profile KEY`` writes a pyinstrument profile of
the figure ``KEY`` (e.g. ``board.page``, ``move.service``, ``forecast.api``, ``convert.api``)
to ``var/bench/profiles/sales-<KEY>-<db>.txt``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import shlex
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.database import (
    ROOT,
    Target,
    admin_connection,
    configure_django,
    create_database,
    engine_version,
    target_for,
)
from bench.timing import machine_speed, percentile

RESULTS = Path(__file__).resolve().parent / "results"
PROFILES = ROOT / "var" / "bench" / "profiles"
DEFAULT_SQLITE_PATH = ROOT / "var" / "bench" / "kesher_bench_sales.sqlite3"
DEFAULT_PG_NAME = "kesher_bench_sales"
# Bump when the generated sales data changes, so an older data set is made again.
SALES_VERSION = 3
MARKER = "sales"
CHUNK = 20_000
TARGETS = {"board": (100, 3), "move": (50, 2), "forecast": (200, 3)}
CONVERT_RATIO = 3


@dataclass(frozen=True)
class SalesPlan:
    opportunities: int = 100_000
    open_share: float = 0.6
    leads: int = 300_000
    accounts: int = 20_000
    contacts: int = 40_000
    owners: int = 50
    seed: int = 15


def _log(message: str) -> None:
    print(message, flush=True)


# --- the data set -------------------------------------------------------------------------------


def _marker() -> dict | None:
    from django.db import connection

    from bench.generate import MARKER_TABLE

    if MARKER_TABLE not in connection.introspection.table_names():
        return None
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT value FROM {MARKER_TABLE} WHERE name = %s", [MARKER])
        row = cursor.fetchone()
    return json.loads(row[0]) if row else None


def _write_marker(info: dict) -> None:
    from django.db import connection, transaction

    from bench.generate import MARKER_TABLE

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {MARKER_TABLE} WHERE name = %s", [MARKER])
        cursor.execute(
            f"INSERT INTO {MARKER_TABLE} (name, value) VALUES (%s, %s)", [MARKER, json.dumps(info)]
        )


def ensure_dataset(target: Target, plan: SalesPlan, *, rebuild: bool) -> dict:
    """Migrate, and generate the sales data set unless the database holds exactly ``plan``'s."""
    from django.db import connection

    from bench.database import migrate

    info = None if rebuild else _marker()
    if info and info.get("plan") == asdict(plan) and info.get("version") == SALES_VERSION:
        _log(f"sales data set present in {target.describe()}: {info['counts']}")
        migrate()
        return info
    if connection.introspection.table_names():
        connection.close()
        create_database(target, fresh=True)
    _log(f"migrating {target.describe()}")
    migrate()
    return generate(plan)


def generate(plan: SalesPlan) -> dict:
    """Owners, accounts and contacts by the reference generator, then the pipelines, deals and
    leads by bulk load."""
    from bench.generate import (
        DeferredIndexes,
        Plan,
        _analyze,
        _load_settings,
        _reset_sequences,
    )
    from bench.generate import generate as generate_reference
    from kesher.sales.models import Lead, Opportunity

    started = time.perf_counter()
    _log(f"generating {plan.accounts:,} accounts, {plan.contacts:,} contacts")
    generate_reference(
        Plan(contacts=plan.contacts, accounts=plan.accounts, owners=plan.owners, seed=plan.seed),
        log=_log,
    )
    pipelines = _pipelines()
    tables = [Opportunity._meta.db_table, Lead._meta.db_table]
    deferred = DeferredIndexes(tables)
    # Not the reference generator's sequence: leads would repeat its contacts' draws.
    rng = random.Random(f"sales-{plan.seed}")
    _load_settings(on=True)
    try:
        deferred.drop()
        _opportunities(plan, pipelines, rng)
        _leads(plan, rng)
        deferred.rebuild(_log)
    finally:
        _load_settings(on=False)
    _reset_sequences([Opportunity, Lead])
    _analyze(tables)
    counts = {
        "opportunities": Opportunity.objects.count(),
        "open": Opportunity.objects.open().count(),
        "leads": Lead.objects.count(),
        "pipelines": len(pipelines),
    }
    seconds = round(time.perf_counter() - started, 1)
    info = {"plan": asdict(plan), "version": SALES_VERSION, "counts": counts, "seconds": seconds}
    _write_marker(info)
    _log(f"sales data set generated in {seconds} s: {counts}")
    return info


def _pipelines() -> list:
    """The default pipeline of seed 003 and two more with the same stages."""
    from bench import vocabulary as vocab
    from kesher.sales.models import Pipeline, Stage

    first = Pipeline.objects.order_by("order", "pk").first()
    made = [first]
    for order, (he, en) in enumerate(vocab.PIPELINES, start=1):
        pipeline = Pipeline.objects.create(name_he=he, name_en=en, order=order)
        Stage.objects.bulk_create(
            Stage(
                pipeline=pipeline,
                key=s.key,
                name_he=s.name_he,
                name_en=s.name_en,
                order=s.order,
                group=s.group,
                outcome=s.outcome,
                standard_days=s.standard_days,
                probability=s.probability,
            )
            for s in first.stages.order_by("order")
        )
        made.append(pipeline)
    return made


def _stamp(moment: datetime, postgres: bool) -> str:
    text = moment.strftime("%Y-%m-%d %H:%M:%S")
    return text + "+00" if postgres else text


def _opportunities(plan: SalesPlan, pipelines: list, rng: random.Random) -> None:
    """Half the deals in the first pipeline, 30% and 20% in the others; 60% open (half of
    them in "potential"), the rest won, in execution or lost. Open deals entered their stage
    in the last 40 days (stuck after its standard duration), closed ones in the last two years;
    expected close dates from a month ago to a year ahead (open) or around the closing."""
    from django.db import connection, transaction

    from bench import vocabulary as vocab
    from bench.generate import BulkWriter, Values, _choice_ids
    from kesher.customers.models import Account
    from kesher.org.models import User
    from kesher.sales.models import Opportunity

    postgres = connection.vendor == "postgresql"
    values = Values(rng)
    columns = [
        "id", "created_at", "updated_at", "version", "custom", "name", "account_id", "amount",
        "currency", "expected_close_date", "stage_id", "stage_entered_at", "stuck_at",
        "owner_id", "priority_id", "source_id", "lost_reason_id", "product_requests", "notes",
    ]  # fmt: skip
    writer = BulkWriter(Opportunity, columns)
    stages = [{s.key: s for s in p.stages.all()} for p in pipelines]
    open_keys, open_weights = ["potential", "proposal", "order"], [5, 3, 2]
    closed_keys = ["won", "in_work", "on_hold", "done", "lost"]
    closed_weights = [15, 10, 5, 40, 30]
    owners = list(
        User.objects.filter(username__startswith="bench_rep").values_list("pk", flat=True)
    )
    owner_weights = [rng.choice((1, 2, 3)) for _ in owners]
    accounts = dict(Account.objects.values_list("pk", "name"))
    account_ids = list(accounts)
    subjects = [s for s, _w in vocab.DEAL_SUBJECTS]
    subject_weights = [w for _s, w in vocab.DEAL_SUBJECTS]
    priorities, sources = _choice_ids("opportunity_priority"), _choice_ids("lead_source")
    lost_reasons = _choice_ids("lost_reason")
    now = datetime.now(UTC).replace(microsecond=0)
    today = now.date()
    open_count = round(plan.opportunities * plan.open_share)
    for start in range(1, plan.opportunities + 1, CHUNK):
        n = min(CHUNK, plan.opportunities + 1 - start)
        rows = []
        for pk in range(start, start + n):
            pipeline = rng.choices(stages, weights=(5, 3, 2))[0]
            is_open = pk <= open_count
            key = (
                rng.choices(open_keys, weights=open_weights)[0]
                if is_open
                else rng.choices(closed_keys, weights=closed_weights)[0]
            )
            stage = pipeline[key]
            if is_open:
                entered = now - timedelta(seconds=rng.randrange(40 * 86400))
                # Business days as calendar days × 1.4 (weekends): what the board colours by.
                stuck = entered + timedelta(days=stage.standard_days * 1.4)
                close = today + timedelta(days=rng.randrange(-30, 366))
            else:
                entered = now - timedelta(seconds=rng.randrange(730 * 86400))
                stuck = None
                close = (entered - timedelta(days=rng.randrange(0, 15))).date()
            created = entered - timedelta(seconds=rng.randrange(120 * 86400))
            account = rng.choice(account_ids) if rng.random() < 0.9 else None
            customer = accounts[account] if account else values.person_names(1)[0][1]
            amount = round(rng.lognormvariate(10.3, 1.0), -2) or 500
            rows.append(
                (
                    pk, _stamp(created, postgres), _stamp(entered, postgres), 1,
                    values.empty_json,
                    f"{rng.choices(subjects, weights=subject_weights)[0]} — {customer}"[:200],
                    account, f"{min(amount, 5_000_000):.2f}", "ILS", close.isoformat(), stage.pk,
                    _stamp(entered, postgres), _stamp(stuck, postgres) if stuck else None,
                    rng.choices(owners, weights=owner_weights)[0], rng.choice(priorities),
                    rng.choice(sources), rng.choice(lost_reasons) if key == "lost" else None,
                    "", "",
                )
            )  # fmt: skip
        with transaction.atomic():
            writer.write(rows)
    _log(f"  opportunities: {writer.rows_written:,} ({open_count:,} open)")


def _leads(plan: SalesPlan, rng: random.Random) -> None:
    """Leads from the reference vocabulary: 60% with a company; an e-mail address, a mobile
    number and (30%) a landline no account or contact has (ranges the reference generator
    never draws: conversion creates, it does not match);
    statuses new, contacted, qualified and disqualified; created over the last two years."""
    from django.db import connection, transaction

    from bench import vocabulary as vocab
    from bench.generate import BulkWriter, Values
    from kesher.org.models import User
    from kesher.platform.models import Choice
    from kesher.sales.models import Lead

    postgres = connection.vendor == "postgresql"
    values = Values(rng)
    columns = [
        "id", "created_at", "updated_at", "version", "custom", "first_name", "last_name",
        "company_name", "title", "email", "phone", "mobile", "city", "source_id",
        "source_detail_id", "status_id", "owner_id", "interest", "notes",
    ]  # fmt: skip
    writer = BulkWriter(Lead, columns)
    owners = list(
        User.objects.filter(username__startswith="bench_rep").values_list("pk", flat=True)
    )
    sources = list(Choice.objects.filter(list_key="lead_source").values_list("pk", flat=True))
    details: dict[int, list[int]] = {}
    for pk, parent in Choice.objects.filter(list_key="lead_source_detail").values_list(
        "pk", "parent_id"
    ):
        details.setdefault(parent, []).append(pk)
    statuses = dict(Choice.objects.filter(list_key="lead_status").values_list("value", "pk"))
    status_keys = ["new", "contacted", "qualified", "disqualified"]
    now = datetime.now(UTC).replace(microsecond=0)
    titles = [t for t in vocab.TITLES if t]
    for start in range(1, plan.leads + 1, CHUNK):
        n = min(CHUNK, plan.leads + 1 - start)
        names = values.person_names(n)
        cities = values.city_list(n)
        rows = []
        for i in range(n):
            pk = start + i
            first, last, first_latin, last_latin = names[i]
            company = ""
            if rng.random() < 0.6:
                hebrew = first_latin != first.lower()
                suffix = vocab.COMPANY_SUFFIXES_HE if hebrew else vocab.COMPANY_SUFFIXES_EN
                # Numbered: the conversion matches an account of the same name (the floor
                # writes a new one), and the reference accounts' names come from the same words.
                company = f"{values.person_names(1)[0][1]} {pk} {rng.choice(suffix)}"
            source = rng.choice(sources)
            detail = rng.choice(details[source]) if details.get(source) else None
            created = _stamp(now - timedelta(seconds=rng.randrange(730 * 86400)), postgres)
            rows.append(
                (
                    pk, created, created, 1, values.empty_json, first, last, company,
                    rng.choice(titles) if company else "",
                    f"{first_latin}.{last_latin}.{pk}@leads.bench.test".replace(" ", ""),
                    f"+97279{pk:07d}" if rng.random() < 0.3 else "", f"+97259{pk:07d}",
                    cities[i], source, detail,
                    statuses[rng.choices(status_keys, weights=(5, 3, 2, 1))[0]],
                    rng.choice(owners), "", "",
                )
            )  # fmt: skip
        with transaction.atomic():
            writer.write(rows)
    _log(f"  leads: {writer.rows_written:,}")


# --- the copy measured --------------------------------------------------------------------------


def copy_of(target: Target) -> tuple[Target, str, Callable[[], None]]:
    """A writable copy of the sales data set, and its clean-up."""
    from django.db import connections

    connections.close_all()
    started = time.perf_counter()
    if target.vendor == "sqlite":
        folder = tempfile.TemporaryDirectory(prefix="kesher-sales-")
        path = Path(folder.name) / "kesher_sales.sqlite3"
        origin = sqlite3.connect(f"file:{target.sqlite_path}?mode=ro", uri=True)
        destination = sqlite3.connect(path)
        try:
            origin.backup(destination)
        finally:
            destination.close()
            origin.close()
        where = f"a copy of {target.sqlite_path.name} ({time.perf_counter() - started:.0f} s)"
        return Target("sqlite", sqlite_path=path), where, folder.cleanup
    name = f"{target.postgres_name}_run"
    parts = urlsplit(target.postgres_url)
    url = urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))
    with admin_connection(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{target.postgres_name}"')
    where = f"database {name}, a TEMPLATE copy of {target.postgres_name}"
    where += f" ({time.perf_counter() - started:.0f} s)"

    def drop():
        connections.close_all()
        with admin_connection(url) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return Target("postgres", postgres_url=url), where, drop


def use(target: Target) -> None:
    """Point Django's (set-up) connection at ``target``."""
    from django.db import connection, connections

    connections.close_all()
    if target.vendor == "sqlite":
        connection.settings_dict["NAME"] = target.sqlite_path
    else:
        connection.settings_dict["NAME"] = target.postgres_name


# --- floors: the best hand-written SQL ----------------------------------------------------------


def _board_floor(pipeline_id: int, cards: int) -> Callable[[], None]:
    """The board's answer by hand: the active stages; each one's count and sum; each one's
    first ``cards`` deals (longest in the stage first) with owner and account names."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            'SELECT id FROM sales_stage WHERE pipeline_id = %s AND active ORDER BY "order", id',
            [pipeline_id],
        )
        stage_ids = [row[0] for row in cursor.fetchall()]
    marks = ", ".join(["%s"] * len(stage_ids))
    figures = (
        "SELECT stage_id, COUNT(*), SUM(amount) FROM sales_opportunity "
        f"WHERE stage_id IN ({marks}) GROUP BY stage_id"
    )
    column = (
        "SELECT * FROM (SELECT id, name, account_id, owner_id, amount, currency, stage_id, "
        "stage_entered_at, stuck_at FROM sales_opportunity WHERE stage_id = %s "
        f"ORDER BY stage_entered_at, id LIMIT {cards}) c"
    )
    first_cards = (
        "SELECT d.*, u.first_name, u.last_name, a.name FROM ("
        + " UNION ALL ".join([column] * len(stage_ids))
        + ") d LEFT JOIN org_user u ON u.id = d.owner_id "
        "LEFT JOIN customers_account a ON a.id = d.account_id"
    )
    stages = (
        'SELECT id, key, name_he, name_en, "order", standard_days, probability, outcome '
        'FROM sales_stage WHERE pipeline_id = %s AND active ORDER BY "order", id'
    )

    def run():
        with connection.cursor() as cursor:
            cursor.execute(stages, [pipeline_id])
            cursor.fetchall()
            cursor.execute(figures, stage_ids)
            cursor.fetchall()
            cursor.execute(first_cards, stage_ids)
            cursor.fetchall()

    run.statements = [stages, figures, first_cards]  # type: ignore[attr-defined]
    return run


def _forecast_floor(start: date, end: date) -> Callable[[], None]:
    """The quarter by owner by hand: one grouped statement joining stages and owners, with the
    forecast categories' sums (commit, best case; omitted deals out of the open figures)."""
    from django.db import connection

    sql = (
        "SELECT o.owner_id, u.first_name, u.last_name, "
        "SUM(CASE WHEN s.outcome = 'open' AND o.forecast_category <> 'omitted' THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN s.outcome = 'open' AND o.forecast_category <> 'omitted' THEN o.amount END), "
        "SUM(CASE WHEN s.outcome = 'open' AND o.forecast_category <> 'omitted'"
        " THEN o.amount * s.probability / 100 END), "
        "SUM(CASE WHEN s.outcome = 'open' AND o.forecast_category = 'commit' THEN o.amount END), "
        "SUM(CASE WHEN s.outcome = 'open' AND o.forecast_category IN ('commit', 'best_case')"
        " THEN o.amount END), "
        "SUM(CASE WHEN s.outcome = 'won' THEN o.amount END) "
        "FROM sales_opportunity o JOIN sales_stage s ON s.id = o.stage_id "
        "LEFT JOIN org_user u ON u.id = o.owner_id "
        "WHERE o.expected_close_date >= %s AND o.expected_close_date < %s "
        "GROUP BY o.owner_id, u.first_name, u.last_name"
    )

    def run():
        with connection.cursor() as cursor:
            cursor.execute(sql, [start, end])
            cursor.fetchall()

    run.statements = [sql]  # type: ignore[attr-defined]
    return run


WRITES = ("INSERT", "UPDATE", "DELETE", "WITH")


def _writes_of(call: Callable[[], object]) -> list[tuple[str, tuple]]:
    """The data-changing statements ``call`` ran, with their parameters."""
    from bench.timing import capture_queries

    captured = capture_queries(call)
    return [
        (sql, params)
        for sql, params in captured.statements
        if sql.lstrip().upper().startswith(WRITES)
    ]


def _fresh_ids(params: tuple) -> tuple:
    """The parameters with every UUID replaced by a new one (the worker's queued task's id)."""
    fresh = []
    for value in params:
        try:
            is_id = isinstance(value, uuid.UUID) or (
                isinstance(value, str) and len(value) in (32, 36) and uuid.UUID(value)
            )
        except ValueError:
            is_id = False
        fresh.append(type(value)(str(uuid.uuid4()).replace("-", "")) if is_id else value)
    return tuple(fresh)


def _replay_writes(statements: list[tuple[str, tuple]]) -> Callable[[], None]:
    """The writes again, in one transaction; a queued task gets a new id each time."""
    from django.db import connection, transaction

    def run():
        with transaction.atomic(), connection.cursor() as cursor:
            for sql, params in statements:
                cursor.execute(sql, _fresh_ids(params) if "django_tasks" in sql else params)

    return run


def _plan(sql: str, params) -> str:
    from django.db import connection

    explain = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    with connection.cursor() as cursor:
        cursor.execute(explain + sql, params)
        rows = cursor.fetchall()
    return "\n".join(str(row[-1]) if connection.vendor == "sqlite" else row[0] for row in rows)


def _main_statements(call: Callable[[], object], needle: str) -> list[tuple[str, tuple]]:
    from bench.timing import capture_queries

    return [(s, p) for s, p in capture_queries(call).statements if needle in s]


# --- the rules the moves meet -------------------------------------------------------------------


def _rules(admin, pipelines: list) -> None:
    """20 enabled rules on deals: 12 "stage becomes" another pipeline's stage, 6 "field
    changed" on fields a move leaves alone, and the 2 a move from potential to proposal
    matches ("becomes proposal", "leaves potential"): 2 runs a move. The two "becomes
    proposal" meant for the other pipelines' stage of the same name do not match: an event
    shows the stage by its name, and the engine confirms the stage's id (``Event.ids``)."""
    from kesher.automation.engine import invalidate_rules
    from kesher.automation.services import rule_create

    # What they would do in the worker; nothing runs here.
    note = [{"type": "update_fields", "values": {"product_requests": "bench"}}]
    others = [s for p in pipelines[1:] for s in p.stages.order_by("order")][:12]
    first = {s.key: s for s in pipelines[0].stages.all()}
    specs = [("status_entered", {"value": str(s.pk)}) for s in others]
    specs += [
        ("field_changed", {"field": name})
        for name in ("amount", "name", "expected_close_date", "owner", "priority", "notes")
    ]
    specs += [
        ("status_entered", {"value": str(first["proposal"].pk)}),
        ("status_left", {"value": str(first["potential"].pk)}),
    ]
    for n, (kind, config) in enumerate(specs):
        rule_create(
            actor=admin,
            data={
                "name": f"bench {n}",
                "entity": "opportunities",
                "trigger_kind": kind,
                "trigger_config": config,
                "actions": note,
            },
        )
    invalidate_rules()


# --- measuring ----------------------------------------------------------------------------------


@dataclass
class Result:
    key: str
    description: str
    samples: list[float]
    floor: list[float]
    floor_description: str
    queries: int
    target: tuple[float, float] | None

    @property
    def p50(self) -> float:
        return percentile(self.samples, 50)

    @property
    def p95(self) -> float:
        return percentile(self.samples, 95)

    @property
    def floor_p95(self) -> float:
        return percentile(self.floor, 95)

    @property
    def ratio(self) -> float:
        return self.p95 / self.floor_p95


def _rounds(pairs: dict, runs: int, warmup: int, profile: str | None, profiler) -> dict:
    """Each round runs every figure's call, then its floor (``bench.timing.measure``)."""
    times = {key: ([], []) for key in pairs}
    gc.collect()
    gc.freeze()
    for number in range(warmup + runs):
        for key, (call, floor) in pairs.items():
            profiling = profiler is not None and key == profile and warmup <= number < warmup + 20
            if profiling:
                profiler.start()
            started = time.perf_counter()
            call()
            spent = (time.perf_counter() - started) * 1000
            if profiling:
                profiler.stop()
            started = time.perf_counter()
            floor()
            floor_spent = (time.perf_counter() - started) * 1000
            if number >= warmup:
                times[key][0].append(spent)
                times[key][1].append(floor_spent)
    gc.unfreeze()
    return times


def _ok(response, key: str):
    if response.status_code != 200:
        raise SystemExit(f"{key}: {response.status_code} {response.content[:300]!r}")
    return response


def measure_reads_and_moves(runs: int, warmup: int, profile: str | None) -> tuple[list, dict]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment
    from rest_framework.test import APIClient

    from kesher.org.models import User
    from kesher.sales.models import Opportunity, Pipeline
    from kesher.sales.selectors import (
        CARDS_PER_COLUMN,
        board,
        forecast,
        parse_quarter,
        quarter_bounds,
    )
    from kesher.sales.services import opportunity_move_stage

    setup_test_environment()
    admin = User.objects.get(username="bench_admin")
    pipelines = list(Pipeline.objects.order_by("order", "pk"))
    pipeline = pipelines[0]
    stages = {s.key: s for s in pipeline.stages.all()}
    _rules(admin, pipelines)
    page = Client(HTTP_ACCEPT_LANGUAGE="he", SERVER_NAME="localhost")
    page.force_login(admin)
    api = APIClient(HTTP_ACCEPT_LANGUAGE="he", SERVER_NAME="localhost")
    api.force_authenticate(admin)
    year, quarter = parse_quarter(None)
    start, end = quarter_bounds(year, quarter)
    # Deals to move, a different one each time, fetched as the caller holds them.
    needed = 2 * (runs + warmup + 2)
    movable = list(
        Opportunity.objects.filter(stage=stages["potential"])
        .select_related("stage")
        .order_by("pk")[:needed]
    )
    if len(movable) < needed:
        raise SystemExit(f"only {len(movable)} deals in potential; need {needed}")
    service_deals, api_deals = movable[0::2], movable[1::2]

    def move_service():
        opportunity_move_stage(service_deals.pop(), actor=admin, stage=stages["proposal"])

    def move_api():
        deal = api_deals.pop()
        _ok(
            api.post(
                f"/api/v1/opportunities/{deal.pk}/move/",
                {"stage": stages["proposal"].pk},
                format="json",
            ),
            "move.api",
        )

    board_url = f"/sales/board/{pipeline.pk}/"
    forecast_url = f"/api/v1/forecast/?quarter={year}-Q{quarter}"
    board_floor = _board_floor(pipeline.pk, CARDS_PER_COLUMN)
    forecast_floor = _forecast_floor(start, end)
    # The move's floor: the writes of one move, replayed bare (the same rows every time).
    move_floor = _replay_writes(_writes_of(move_service))
    api_move_floor = _replay_writes(_writes_of(move_api))
    from bench.timing import capture_queries

    calls = {
        "board.page": (lambda: _ok(page.get(board_url), "board.page"), board_floor),
        "board.selector": (lambda: board(admin, pipeline), board_floor),
        "move.service": (move_service, move_floor),
        "move.api": (move_api, api_move_floor),
        "forecast.selector": (lambda: forecast(admin, year, quarter), forecast_floor),
        "forecast.api": (lambda: _ok(api.get(forecast_url), "forecast.api"), forecast_floor),
    }
    queries = {}
    sql_ms = {}
    for key, (call, _floor) in calls.items():
        if key.startswith("move"):
            continue
        captured = capture_queries(call)
        queries[key] = len(captured.statements)
        sql_ms[key] = sum(captured.durations)
    # A move's statements, from one more of each (deals popped like the timed ones).
    for key in ("move.service", "move.api"):
        captured = capture_queries(calls[key][0])
        queries[key] = len(captured.statements)
        sql_ms[key] = sum(captured.durations)
    profiler = None
    if profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
    times = _rounds(calls, runs, warmup, profile, profiler)
    descriptions = {
        "board.page": f"GET {board_url} — the board page of pipeline 1 (50% of the deals)",
        "board.selector": "selectors.board(admin, pipeline 1)",
        "move.service": "opportunity_move_stage: potential → proposal, 20 rules (2 match)",
        "move.api": "POST /api/v1/opportunities/<id>/move/ — the same move through the API",
        "forecast.selector": f"selectors.forecast(admin, {year}, Q{quarter})",
        "forecast.api": f"GET {forecast_url}",
    }
    floors = {
        "board": "hand-written SQL: the stages; count and sum by stage; each column's first "
        f"{CARDS_PER_COLUMN} cards with owner and account names (one UNION ALL)",
        "move": "the move's own writes (deal update, audit entry, queued runs) replayed bare "
        "in one transaction",
        "forecast": "hand-written SQL: one grouped statement joining stages and owners",
    }
    results = [
        Result(
            key,
            descriptions[key],
            times[key][0],
            times[key][1],
            floors[key.split(".")[0]],
            queries[key],
            TARGETS[key.split(".")[0]],
        )
        for key in calls
    ]
    plans = {}
    for key, needle in (("board count and sum", "COUNT("), ("board cards", "LIMIT")):
        found = _main_statements(lambda: board(admin, pipeline), needle)
        if found:
            plans[key] = (found[0][0], _plan(*found[0]))
    found = _main_statements(lambda: forecast(admin, year, quarter), "GROUP BY")
    if found:
        plans["forecast"] = (found[0][0], _plan(*found[0]))
    if profiler is not None and profile in calls:
        _write_profile(profiler, profile, connection.vendor)
    return results, {"plans": plans, "sql_ms": sql_ms, "quarter": f"{year}-Q{quarter}"}


def _write_profile(profiler, key: str, vendor: str) -> None:
    PROFILES.mkdir(parents=True, exist_ok=True)
    path = PROFILES / f"sales-{key}-{vendor}.txt"
    path.write_text(profiler.output_text(unicode=True, show_all=False))
    _log(f"profile written to {path}")


def measure_conversions(count: int, warmup: int, profile: bool) -> dict:
    """``count`` conversions through the API and as many bare ones, taking turns one by one
    (the order turning each time), after ``warmup`` of each."""
    from django.db import connection
    from django.test.utils import override_settings
    from rest_framework.test import APIClient

    from kesher.automation.engine import invalidate_rules
    from kesher.automation.models import Rule
    from kesher.org.models import User
    from kesher.sales.models import Lead

    admin = User.objects.get(username="bench_admin")
    # The figure is the conversion itself: the moves' rules are switched off (two of them
    # would match each new deal in "potential" and queue runs the floor does not write).
    Rule.objects.update(enabled=False)
    invalidate_rules()
    total = 2 * (count + warmup)
    leads = list(
        Lead.objects.filter(converted_at=None)
        .exclude(company_name="")
        .order_by("pk")
        .values_list("pk", flat=True)[:total]
    )
    if len(leads) < total:
        raise SystemExit(f"only {len(leads)} leads with a company to convert; need {total}")
    sources = {"bare": leads[0::2], "api": leads[1::2]}
    urls = {"bare": "/bench/convert/leads/{}/", "api": "/api/v1/leads/{}/convert/"}
    client = APIClient(HTTP_ACCEPT_LANGUAGE="he", SERVER_NAME="localhost")
    client.force_authenticate(admin)
    body = {"opportunity": {"amount": "48000.00"}}
    times: dict[str, list[float]] = {"bare": [], "api": []}
    profiler = None
    if profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
    gc.collect()
    gc.freeze()
    with override_settings(ROOT_URLCONF="bench.urls"):
        for number in range(count + warmup):
            for kind in ("bare", "api") if number % 2 else ("api", "bare"):
                profiling = (
                    profiler is not None and kind == "api" and warmup <= number < warmup + 200
                )
                if profiling:
                    profiler.start()
                started = time.perf_counter()
                response = client.post(
                    urls[kind].format(sources[kind][number]), body, format="json"
                )
                spent = (time.perf_counter() - started) * 1000
                if profiling:
                    profiler.stop()
                if response.status_code != 200 or response.json().get("matched"):
                    raise SystemExit(
                        f"convert {kind}: {response.status_code} {response.content[:300]!r}"
                    )
                if number >= warmup:
                    times[kind].append(spent)
    gc.unfreeze()
    if profiler is not None:
        _write_profile(profiler, "convert.api", connection.vendor)
    last = sources["api"][count + warmup - 1]
    lead = Lead.objects.get(pk=last)
    if not (
        lead.converted_account_id and lead.converted_contact_id and lead.converted_opportunity_id
    ):
        raise SystemExit(f"lead {last} was not converted into an account, a contact and a deal")
    return {
        kind: {
            "total_s": sum(values) / 1000,
            "p50": statistics.median(values),
            "p95": percentile(values, 95),
            "per_s": len(values) / (sum(values) / 1000),
        }
        for kind, values in times.items()
    }


# --- the results file ---------------------------------------------------------------------------


def _verdict(ok: bool) -> str:
    return "meets" if ok else "MISSES"


def write(
    db: str,
    info: dict,
    where: str,
    results: list,
    extra: dict,
    converts: dict | None,
    args,
    command: str,
    load: tuple[float, float],
) -> Path:
    lines = [
        f"# Sales benchmarks (issue 15) — {db}",
        "",
        f"- command: `{command}`",
        f"- when: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; measured on {where}",
        f"- database: {engine_version()}",
        f"- machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}; {machine_speed()}",
        f"- load average (other work on the machine): {load[0]:.1f} at the start, "
        f"{load[1]:.1f} at the end"
        + (
            " — other work shared the cores, so absolute times are noisy; the floors, measured"
            " in the same rounds, share the noise"
            if max(load) > (os.cpu_count() or 1)
            else ""
        ),
        f"- data set: {info['counts']} (plan {info['plan']})",
    ]
    if results:
        lines += [
            f"- reads and moves: {args.runs} rounds after {args.warmup} warm-up rounds, every"
            " figure then its floor in each round; p50/p95 in ms (nearest rank); signed in as"
            f" the administrator; the forecast's quarter {extra['quarter']}",
            "",
            "| figure | p50 | p95 | floor p95 | ratio p95 | target | statements (SQL ms) | |",
            "|---|---:|---:|---:|---:|---:|---:|---|",
        ]
    for r in results:
        ms, ratio = r.target
        ok = r.p95 <= ms and r.ratio <= ratio
        lines.append(
            f"| {r.key} — {r.description} | {r.p50:.1f} | {r.p95:.1f} | {r.floor_p95:.1f} "
            f"| ×{r.ratio:.2f} | ≤ {ms} ms, ≤ ×{ratio} | {r.queries} "
            f"({extra['sql_ms'][r.key]:.1f}) | {_verdict(ok)} |"
        )
    if results:
        lines += ["", "Floors:", ""]
        for group in ("board", "move", "forecast"):
            first = next(r for r in results if r.key.startswith(group))
            lines.append(f"- {group}: {first.floor_description}")
    if converts:
        api, bare = converts["api"], converts["bare"]
        ratio = api["total_s"] / bare["total_s"]
        lines += [
            "",
            f"## Converting {args.converts:,} leads through the API",
            "",
            f'`POST /api/v1/leads/<id>/convert/` with `{{"opportunity": {{"amount":'
            ' "48000.00"}}` (an account, a contact and a deal from each lead, none matched;'
            " no automation rule enabled),"
            f" {args.converts:,} conversions taking turns one by one with as many bare ones"
            f" (`bench/bare_convert.py`), after {args.convert_warmup} of each as warm-up.",
            "",
            "| | total s | per s | p50 ms | p95 ms | ratio | target | |",
            "|---|---:|---:|---:|---:|---:|---:|---|",
            f"| convert.api | {api['total_s']:.1f} | {api['per_s']:.0f} | {api['p50']:.1f} "
            f"| {api['p95']:.1f} | ×{ratio:.2f} | ≤ ×{CONVERT_RATIO} | "
            f"{_verdict(ratio <= CONVERT_RATIO)} |",
            f"| convert.bare (floor) | {bare['total_s']:.1f} | {bare['per_s']:.0f} "
            f"| {bare['p50']:.1f} | {bare['p95']:.1f} | | | |",
        ]
    lines += ["", "## Query plans", ""]
    for key, (sql, plan) in extra["plans"].items():
        lines += [f"{key}:", "", "```sql", sql[:2000], "```", "```", plan, "```", ""]
    text = "\n".join(lines)
    print(text)
    path = Path(args.results_dir) / f"sales-{db}.md"
    if not args.no_write:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(
        prog="python -m bench.sales",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--sqlite-path", type=Path, default=DEFAULT_SQLITE_PATH)
    parser.add_argument("--pg-name", default=DEFAULT_PG_NAME)
    parser.add_argument("--database-url")
    parser.add_argument("--opportunities", type=int, default=SalesPlan.opportunities)
    parser.add_argument("--leads", type=int, default=SalesPlan.leads)
    parser.add_argument("--accounts", type=int, default=SalesPlan.accounts)
    parser.add_argument("--contacts", type=int, default=SalesPlan.contacts)
    parser.add_argument("--seed", type=int, default=SalesPlan.seed)
    parser.add_argument("--runs", type=int, default=100, help="timed rounds of reads and moves")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--converts", type=int, default=10_000, help="timed API conversions")
    parser.add_argument("--convert-warmup", type=int, default=50)
    parser.add_argument("--profile", help="figure key to profile, e.g. board.page, convert.api")
    parser.add_argument("--generate", action="store_true", help="make the data set again")
    parser.add_argument("--results-dir", default=str(RESULTS))
    parser.add_argument("--no-write", action="store_true", help="print only, no results file")
    args = parser.parse_args(argv)
    load_start = os.getloadavg()[0]
    target = target_for(
        args.db,
        sqlite_path=args.sqlite_path,
        database_url=args.database_url,
        postgres_name=args.pg_name,
    )
    plan = SalesPlan(
        opportunities=args.opportunities,
        leads=args.leads,
        accounts=args.accounts,
        contacts=args.contacts,
        seed=args.seed,
    )
    create_database(target, fresh=args.generate)
    configure_django(target)
    info = ensure_dataset(target, plan, rebuild=args.generate)
    copy, where, cleanup = copy_of(target)
    try:
        use(copy)
        results, extra = [], {"plans": {}, "sql_ms": {}, "quarter": ""}
        if args.runs:
            results, extra = measure_reads_and_moves(args.runs, args.warmup, args.profile)
        converts = None
        if args.converts:
            converts = measure_conversions(
                args.converts, args.convert_warmup, args.profile == "convert.api"
            )
        command = ".venv/bin/python -m bench.sales " + " ".join(shlex.quote(a) for a in argv)
        load = (load_start, os.getloadavg()[0])
        write(args.db, info, where, results, extra, converts, args, command, load)
    finally:
        cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())

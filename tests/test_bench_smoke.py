"""The benchmark code at a tiny size, so it cannot rot between real runs (DESIGN.md "Targets").

One real ``python -m bench run`` into a temporary SQLite file (schema, generate 2,000 contacts,
measure every figure a few times, write the results), then checks of what it wrote.
"""

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

pytestmark = pytest.mark.any_database  # reads no database (conftest.py)

ROOT = Path(__file__).resolve().parent.parent
# SQLite whatever the suite runs on; a fresh benchmark database built from the models rather
# than by replaying every migration (bench.database.migrate).
SMOKE_ENV = {
    **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
    "KESHER_BENCH_SCHEMA": "models",
}


def run_bench(*arguments: str) -> str:
    """``python -m <arguments>`` as a user runs a benchmark; what it printed."""
    finished = subprocess.run(
        [sys.executable, "-m", *arguments],
        cwd=ROOT,
        env=SMOKE_ENV,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert finished.returncode == 0, finished.stdout + finished.stderr
    return finished.stdout


@pytest.fixture(scope="module")
def bench_run(tmp_path_factory):
    work = tmp_path_factory.mktemp("bench")
    database = work / "bench.sqlite3"
    results = work / "results"
    run_bench(
        "bench", "run", "--db", "sqlite",
        "--sqlite-path", str(database), "--contacts", "2000", "--accounts", "400",
        "--owners", "5", "--runs", "2", "--warmup", "0", "--results-dir", str(results),
    )  # fmt: skip
    (json_path,) = results.glob("*-sqlite.json")
    return {
        "database": database,
        "payload": json.loads(json_path.read_text()),
        "markdown": json_path.with_suffix(".md").read_text(),
    }


def test_every_figure_is_reported_beside_its_floor_and_target(bench_run):
    figures = {f["key"]: f for f in bench_run["payload"]["figures"]}
    groups = {f["group"] for f in figures.values()}
    assert groups == {"list", "api", "search", "picker"}
    # The deep pages were reached through the keyset links, not only by page number.
    assert any(key.startswith("list.city.page") and key.endswith(".cursor") for key in figures)
    assert any(key.startswith("api.city.page") and key.endswith(".cursor") for key in figures)
    for figure in figures.values():
        assert figure["runs"] == 2
        assert figure["p95_ms"] > 0
        assert figure["floor_p95_ms"] > 0
        assert figure["floor_sql"], figure["key"]
        assert len(figure["plans"]) == len(figure["floor_sql"])
    assert figures["list.city.page1"]["target_p95_ms"] == 50.0
    assert figures["search.phone_suffix7"]["target_p95_ms"] == 100.0


def test_results_name_the_machine_the_data_and_the_command(bench_run):
    payload = bench_run["payload"]
    assert payload["machine"]["nproc"] >= 1
    assert payload["machine"]["database"].startswith("SQLite ")
    assert payload["dataset"]["counts"]["contacts"] == 2000
    assert payload["dataset"]["counts"]["accounts"] == 400
    assert payload["command"].startswith(".venv/bin/python -m bench run --db sqlite")
    assert "| figure | p50 | p95 | floor p50 |" in bench_run["markdown"]


def test_generated_data_is_israeli_and_searchable(bench_run):
    db = sqlite3.connect(bench_run["database"])
    phones = [r[0] for r in db.execute("SELECT mobile FROM customers_contact WHERE mobile != ''")]
    assert phones
    assert all(p.startswith("+9725") and len(p) == 13 for p in phones)
    hebrew = db.execute(
        "SELECT count(*) FROM customers_contact WHERE last_name >= 'א' AND last_name <= 'ת'"
    ).fetchone()[0]
    assert 0 < hebrew < 2000
    links = db.execute("SELECT count(*) FROM customers_contactaccount").fetchone()[0]
    assert links > 1000


def test_generated_search_tokens_are_the_ones_the_indexer_writes(bench_run):
    """The generator computes tokens itself for speed; they must equal search._tokens."""
    from kesher.customers.entities import contacts
    from kesher.platform.records import search

    db = sqlite3.connect(bench_run["database"])
    columns = ("id", "first_name", "last_name", "email", "phone", "mobile")
    rows = db.execute(
        "SELECT id, first_name, last_name, email, phone, mobile "
        "FROM customers_contact ORDER BY id LIMIT 200"
    ).fetchall()
    stored: dict[int, set] = {}
    for object_id, kind, token in db.execute(
        "SELECT object_id, kind, token FROM platform_searchtoken "
        "WHERE entity = 'contacts' AND object_id <= 200"
    ):
        stored.setdefault(object_id, set()).add((kind, token))
    for row in rows:
        record = SimpleNamespace(**dict(zip(columns, row, strict=True)), custom={})
        assert stored[record.id] == search._tokens(contacts, record), record


def test_results_record_the_database_settings(bench_run):
    """Figures are read beside the settings that shaped them (issue 26 item 7)."""
    found = bench_run["payload"]["machine"]["database_settings"]
    # Kesher's own connection pragmas (settings.py), not SQLite's defaults.
    assert found["journal_mode"] == "wal"
    assert found["cache_size"] == "-65536"
    assert found["mmap_size"] == "268435456"
    assert "Database settings: journal_mode wal, synchronous 1," in bench_run["markdown"]


def test_create_is_measured_with_the_duplicate_check_beside_the_bare_floor(bench_run):
    """``bench.create``: creates as clients send them (no ``?force``) over a copy of the data
    set, each answered 201, beside the bare floor and the forced create of the same run."""
    report = run_bench(
        "bench.create", "--db", "sqlite",
        "--sqlite-path", str(bench_run["database"]), "--creates", "6", "--warmup", "2",
        "--no-write",
    )  # fmt: skip
    assert "over 2,000 contacts — sqlite" in report
    assert "| create.api_clients — no `?force`" in report
    assert "| create.api_forced — `?force=true`" in report
    assert "journal_mode wal" in report
    # The copy was written, never the measured data set itself.
    with sqlite3.connect(bench_run["database"]) as conn:
        assert conn.execute("SELECT count(*) FROM customers_contact").fetchone()[0] == 2000


def test_sales_figures_are_measured_beside_their_floors(tmp_path):
    """``bench.sales`` (issue 15): its own small data set, every figure beside its floor and
    target, conversions through the API beside the bare ones, on a copy of the set."""
    database = tmp_path / "sales.sqlite3"
    run_bench(
        "bench.sales", "--db", "sqlite", "--sqlite-path", str(database),
        "--opportunities", "300", "--leads", "150", "--accounts", "60", "--contacts", "80",
        "--runs", "2", "--warmup", "1", "--converts", "6", "--convert-warmup", "1",
        "--results-dir", str(tmp_path),
    )  # fmt: skip
    report = (tmp_path / "sales-sqlite.md").read_text()
    for key in ("board.page", "board.selector", "move.service", "move.api", "forecast.api"):
        assert f"| {key} — " in report
    assert "| convert.api |" in report
    assert "| convert.bare (floor) |" in report
    assert "journal_mode wal" in report
    assert "'opportunities': 300, 'open': 180, 'leads': 150" in report
    # Moves and conversions wrote to a copy, never to the data set itself.
    with sqlite3.connect(database) as conn:
        converted = conn.execute("SELECT count(*) FROM sales_lead WHERE converted_at IS NOT NULL")
        assert converted.fetchone()[0] == 0


def test_service_figures_are_measured_beside_their_floors(tmp_path):
    """``bench.service`` (issue 18): tickets with their SLA clocks in a throw-away database, the
    ticket list, the worker's SLA tick and incoming e-mail, each beside its floor."""
    run_bench(
        "bench.service", "--db", "sqlite", "--tickets", "400",
        "--accounts", "40", "--runs", "2", "--warmup", "1", "--deep-page", "2",
        "--messages", "6", "--mail-warmup", "1", "--results-dir", str(tmp_path),
    )  # fmt: skip
    report = (tmp_path / "service-sqlite.md").read_text()
    for key in ("list.page1", "list.page2.cursor", "api.page1", "selector.page1", "tick.20s"):
        assert f"| {key} — " in report
    assert "| mail — `email_receive`, one worker | 6 |" in report
    assert "400 open tickets" in report
    assert "800 SLA clocks" in report
    assert "journal_mode wal" in report

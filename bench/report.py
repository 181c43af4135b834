"""Writing a run's figures to ``bench/results/<date>-<db>.md`` and ``.json``."""

from __future__ import annotations

import json
import os
import platform
import re
import sys
from datetime import datetime
from pathlib import Path

import django
from django.db import connection

from bench.database import Target, database_settings, settings_line
from bench.generate import dataset_info
from bench.timing import Figure

__all__ = ["machine_info", "write_results"]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def _database_version() -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            return "PostgreSQL " + cursor.fetchone()[0]
        cursor.execute("SELECT sqlite_version()")
        return "SQLite " + cursor.fetchone()[0]


def machine_info() -> dict:
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "nproc": usable,
        "cpu": _cpu_model(),
        "memory_gb": _memory_gb(),
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "django": django.get_version(),
        "database": _database_version(),
        "database_settings": database_settings(),
        # Other work on the machine skews absolute times (the floor ratios less so).
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def _ms(value: float) -> str:
    return f"{value:.1f}"


def _markdown(payload: dict, figures: list[Figure]) -> str:
    machine, data = payload["machine"], payload["dataset"]
    lines = [
        f"# Kesher benchmarks — {payload['database']} — {payload['date']}",
        "",
        f"Command: `{payload['command']}`",
        "",
        f"Machine: {machine['nproc']} CPUs ({machine['cpu']}), {machine['memory_gb']} GB, "
        f"Python {machine['python']}, Django {machine['django']}, {machine['database']}; "
        f"load average {payload['load_average_start']} at the start, "
        f"{machine['load_average_1m']} at the end.",
        "",
        f"Database settings: {settings_line(machine.get('database_settings') or {})}.",
        "",
        f"Data set: {data.get('counts')} (seed {data.get('plan', {}).get('seed')}; "
        f"generated in {data.get('timings', {}).get('total_s')} s). "
        f"Lists filter on the most common city, {payload['context']['city']} "
        f"({payload['context']['city_rows']:,} contacts), and on owner "
        f"{payload['context']['owner']}.",
        "",
        "Times are server time in milliseconds over "
        f"{figures[0].samples_ms.__len__() if figures else 0} runs after warm-up. The floor is "
        "the same SQL run bare through the DB cursor, in the same rounds (each round runs every "
        "figure and its floor once); the ratio "
        'is p95 / floor p95. "SQL in request" is the time all of one request\'s queries took '
        "(the rest is Python: middleware, ORM, templates or serializers). Figures without a "
        "target are shown for comparison.",
        "",
        "| figure | p50 | p95 | floor p50 | floor p95 | ratio | SQL in request | target p95 "
        "| result |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for f in figures:
        verdict = {True: "pass", False: "**miss**", None: "—"}[f.passed]
        target = _ms(f.target_ms) if f.target_ms is not None else "—"
        lines.append(
            f"| `{f.key}` — {f.description} | {_ms(f.p50)} | {_ms(f.p95)} | {_ms(f.floor_p50)} "
            f"| {_ms(f.floor_p95)} | {f.ratio:.1f}× | {_ms(f.extra['sql_ms_in_request'])} "
            f"| {target} | {verdict} |"
        )
    lines += [
        "",
        "## Query plans",
        "",
        "The plan of each figure's main statement (the page's rows; for search, the slowest "
        "statement). The JSON file has every statement, its plan and its time.",
        "",
    ]
    for f in figures:
        slowest = _main_statement(f)
        lines += [f"### `{f.key}` ({f.queries} queries in the request)", ""]
        plan = f.plans[slowest]
        same = re.match(r"\(the plan of statement (\d+)\)", plan)
        plan = f.plans[int(same.group(1)) - 1] if same else plan
        lines += ["```sql", f.floor_sql[slowest], "```", "```", plan, "```", ""]
    return "\n".join(lines) + "\n"


def _main_statement(figure: Figure) -> int:
    """Index of the page's row query (lists) or of the slowest statement (search, whose
    floor replays every statement, so the timings line up with ``floor_sql``)."""
    if figure.group == "search":
        timed = figure.extra["statement_ms"]
        return max(range(len(timed)), key=lambda i: timed[i])
    for i, sql in enumerate(figure.floor_sql):
        if not sql.startswith(("SELECT COUNT", "SELECT DISTINCT")):
            return i
    return 0


def write_results(
    figures: list[Figure],
    context: dict,
    *,
    target: Target,
    command: str,
    results_dir: Path,
    elapsed_s: float,
    load_average_start: float,
) -> list[Path]:
    today = datetime.now().astimezone().date().isoformat()
    payload = {
        "date": today,
        "database": target.label,
        "command": command,
        "load_average_start": round(load_average_start, 2),
        "machine": machine_info(),
        "dataset": dataset_info() or {},
        "context": context,
        "elapsed_s": round(elapsed_s, 1),
        "figures": [f.as_dict() for f in figures],
    }
    results_dir.mkdir(parents=True, exist_ok=True)
    base = results_dir / f"{today}-{target.label}"
    json_path = base.with_suffix(".json")
    md_path = base.with_suffix(".md")
    json_path.write_text(json.dumps(payload, ensure_ascii=False, indent=1) + "\n")
    md_path.write_text(_markdown(payload, figures))
    return [md_path, json_path]

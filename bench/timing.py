"""Timing one code path beside its floor: the same SQL it ran, replayed bare through the cursor.

The machines these run on are noisy, so each figure is measured interleaved with its floor
and with every other figure (rounds of one call and one floor of each) and reported as
percentiles of both and their ratio (DESIGN.md "Targets").
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection

__all__ = [
    "Capture",
    "Figure",
    "capture_queries",
    "machine_and_run_lines",
    "machine_speed",
    "measure",
    "percentile",
    "replay",
]


def machine_speed() -> str:
    """How fast this machine runs Python now: the best of five runs of a fixed workload
    (dictionaries and strings, as a request handles). The shared machines these benchmarks run
    on change speed from session to session — by three times between two sessions of
    2026-12-02 — so records/s figures compare across results only beside this."""

    def workload() -> int:
        total = 0
        for n in range(200_000):
            row = {"id": n, "name": str(n)}
            total += len(row["name"]) + hash(row["name"]) % 7
        return total

    best = min(_seconds(workload) for _ in range(5))
    return f"a fixed Python workload took {best * 1000:.0f} ms (best of 5)"


def machine_and_run_lines(command: list[str]) -> list[str]:
    """The end of a benchmark's results file: the machine, how busy it was, and the command
    that reproduces the figures (with the time it ran)."""
    import os
    import platform
    import shlex
    from datetime import UTC, datetime

    load = " / ".join(f"{value:.2f}" for value in os.getloadavg())
    busy = max(os.getloadavg()) > (os.cpu_count() or 1)
    return [
        f"- Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; {machine_speed()}; load average {load} "
        "(1/5/15 min) at the end.",
        *(
            [
                "- **Other work shared the cores** (load above their number): the figures are "
                "noisy; the floors, measured in the same rounds, share it."
            ]
            if busy
            else []
        ),
        f"- Run: `{shlex.join(command)}`, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.",
        "",
    ]


def _seconds(call: Callable) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def percentile(samples: list[float], pct: float) -> float:
    """Nearest-rank percentile: with 40 runs, p95 is the 38th fastest."""
    ordered = sorted(samples)
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


@dataclass
class Capture:
    """The statements one call ran, with their parameters and durations (ms)."""

    statements: list[tuple[str, tuple]] = field(default_factory=list)
    durations: list[float] = field(default_factory=list)

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.durations.append((time.perf_counter() - started) * 1000)
            self.statements.append((sql, tuple(params or ())))


def capture_queries(fn: Callable[[], object]) -> Capture:
    capture = Capture()
    with connection.execute_wrapper(capture):
        fn()
    return capture


def replay(statements: list[tuple[str, tuple]]) -> Callable[[], None]:
    """Run ``statements`` bare: DB-API cursor, fetch every row, no ORM, no Python objects."""

    def run():
        with connection.cursor() as cursor:
            for sql, params in statements:
                cursor.execute(sql, params)
                if cursor.description is not None:
                    cursor.fetchall()

    return run


@dataclass
class Figure:
    """One benchmark: its timings, its floor's, the target and the SQL it ran."""

    key: str
    group: str
    description: str
    target_ms: float | None
    samples_ms: list[float]
    floor_samples_ms: list[float]
    floor_description: str
    queries: int
    floor_sql: list[str]
    plans: list[str] = field(default_factory=list)
    extra: dict = field(default_factory=dict)

    @property
    def p50(self) -> float:
        return percentile(self.samples_ms, 50)

    @property
    def p95(self) -> float:
        return percentile(self.samples_ms, 95)

    @property
    def floor_p50(self) -> float:
        return percentile(self.floor_samples_ms, 50)

    @property
    def floor_p95(self) -> float:
        return percentile(self.floor_samples_ms, 95)

    @property
    def ratio(self) -> float:
        return self.p95 / self.floor_p95 if self.floor_p95 else float("inf")

    @property
    def passed(self) -> bool | None:
        return None if self.target_ms is None else self.p95 <= self.target_ms

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "group": self.group,
            "description": self.description,
            "runs": len(self.samples_ms),
            "p50_ms": round(self.p50, 2),
            "p95_ms": round(self.p95, 2),
            "mean_ms": round(statistics.fmean(self.samples_ms), 2),
            "floor": self.floor_description,
            "floor_p50_ms": round(self.floor_p50, 2),
            "floor_p95_ms": round(self.floor_p95, 2),
            "ratio_p95": round(self.ratio, 2),
            "target_p95_ms": self.target_ms,
            "pass": self.passed,
            "queries": self.queries,
            "floor_sql": self.floor_sql,
            "plans": self.plans,
            "samples_ms": [round(x, 1) for x in self.samples_ms],
            "floor_samples_ms": [round(x, 1) for x in self.floor_samples_ms],
            **self.extra,
        }


def measure(
    pairs: list[tuple[Callable[[], object], Callable[[], object]]], *, runs: int, warmup: int
) -> list[tuple[list[float], list[float]]]:
    """Times each (call, floor) pair ``runs`` times after ``warmup`` rounds.

    Every round runs every pair once, call then floor: a burst of load from elsewhere on the
    machine then lands on all figures alike instead of on whichever was being measured.
    """
    samples: list[tuple[list[float], list[float]]] = [([], []) for _ in pairs]
    for round_number in range(warmup + runs):
        for (call, floor), (call_samples, floor_samples) in zip(pairs, samples, strict=True):
            started = time.perf_counter()
            call()
            elapsed = (time.perf_counter() - started) * 1000
            started = time.perf_counter()
            floor()
            floor_elapsed = (time.perf_counter() - started) * 1000
            if round_number >= warmup:
                call_samples.append(elapsed)
                floor_samples.append(floor_elapsed)
    return samples

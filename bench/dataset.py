"""Making sure the benchmark database holds the data set that was asked for."""

from __future__ import annotations

import time
from dataclasses import asdict

from django.db import connection

from bench.database import Target, create_database, migrate
from bench.generate import GENERATOR_VERSION, Plan, dataset_info, generate

__all__ = ["ensure_dataset"]


def _log(message: str) -> None:
    print(message, flush=True)


def ensure_dataset(target: Target, plan: Plan, *, rebuild: bool = False) -> dict:
    """Migrate the benchmark database, and generate the data set unless it is already there.

    A database holding another size, seed or generator version — or a load that never
    finished — is dropped and made again.
    """
    info = None if rebuild else _current(plan)
    if info is not None:
        _log(f"data set present in {target.describe()}: {info['counts']}")
        # Migrations added since the load apply to the existing tables.
        migrate()
        return info
    if connection.introspection.table_names():
        connection.close()
        create_database(target, fresh=True)
    started = time.perf_counter()
    _log(f"migrating {target.describe()}")
    migrate()
    _log(f"generating {plan.contacts:,} contacts and {plan.accounts:,} accounts (seed {plan.seed})")
    result = generate(plan, log=_log)
    _log(f"generated in {time.perf_counter() - started:.0f}s: {result['timings']}")
    return _current(plan)


def _current(plan: Plan) -> dict | None:
    info = dataset_info()
    if info and info.get("plan") == asdict(plan) and info.get("version") == GENERATOR_VERSION:
        return info
    return None

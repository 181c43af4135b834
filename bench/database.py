"""Which database the benchmark uses, and pointing Django at it before it starts.

The benchmark never touches the working database: SQLite goes to its own file under
``var/bench/``; PostgreSQL to a dedicated database (``kesher_bench`` by default) on the server
``DATABASE_URL`` names, created here when missing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = ROOT / "var" / "bench" / "kesher_bench.sqlite3"
DEFAULT_POSTGRES_SERVER = "postgres://postgres@127.0.0.1:5432/"
DEFAULT_POSTGRES_NAME = "kesher_bench"


@dataclass(frozen=True)
class Target:
    """One benchmark database: ``vendor`` is "sqlite" or "postgres"."""

    vendor: str
    sqlite_path: Path | None = None
    postgres_url: str | None = None

    @property
    def label(self) -> str:
        return "sqlite" if self.vendor == "sqlite" else "postgres"

    @property
    def postgres_name(self) -> str:
        return urlsplit(self.postgres_url or "").path.lstrip("/")

    def describe(self) -> str:
        if self.vendor == "sqlite":
            return str(self.sqlite_path)
        parts = urlsplit(self.postgres_url)
        host = parts.hostname or "localhost"
        return f"postgres://{host}:{parts.port or 5432}/{self.postgres_name}"


def target_for(vendor: str, *, sqlite_path=None, database_url=None, postgres_name=None) -> Target:
    """The benchmark database for ``vendor``; PostgreSQL keeps the server of ``database_url``
    (or ``$DATABASE_URL``) but always uses its own database name, never the working one."""
    if vendor == "sqlite":
        return Target("sqlite", sqlite_path=Path(sqlite_path or DEFAULT_SQLITE_PATH).resolve())
    server = database_url or os.environ.get("DATABASE_URL") or DEFAULT_POSTGRES_SERVER
    parts = urlsplit(server)
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        raise SystemExit(f"--db postgres needs a postgres:// DATABASE_URL, not {parts.scheme!r}")
    name = postgres_name or DEFAULT_POSTGRES_NAME
    url = urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, ""))
    return Target("postgres", postgres_url=url)


def configure_django(target: Target) -> None:
    """Point Django's default database at ``target``; call before ``django.setup()``.

    SQLite keeps the application's own connection options (WAL, cache size, mmap), so the
    figures are those of a real install.
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kesher.settings")
    if target.vendor == "postgres":
        os.environ["DATABASE_URL"] = target.postgres_url
    else:
        os.environ.pop("DATABASE_URL", None)
    from django.conf import settings

    if target.vendor == "sqlite":
        target.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        settings.DATABASES["default"]["NAME"] = target.sqlite_path
    # Persistent connections: one benchmark process, one connection, as a warm app server.
    settings.DATABASES["default"]["CONN_MAX_AGE"] = None
    import django

    django.setup()


def admin_connection(url: str):
    """An autocommit connection to the maintenance database of ``url``'s server (to create,
    copy and drop databases)."""
    import psycopg

    parts = urlsplit(url)
    return psycopg.connect(
        urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, "")), autocommit=True
    )


def _maintenance_connection(target: Target):
    return admin_connection(target.postgres_url)


def _access_log_written() -> None:
    """The access log's entries of the requests a benchmark made, written before its database
    goes (its writer thread would otherwise try them on a database no longer there, and log
    the failure at exit; decision 0115)."""
    from django.apps import apps

    if apps.ready:
        from kesher.privacy.accesslog import batches

        batches.flush()


def scratch_database(db: str, *, pg_name: str, prefix: str) -> tuple[str, object]:
    """Point Django (through the environment, before it starts) at a fresh, empty database:
    a temporary SQLite folder, or ``pg_name`` on $DATABASE_URL's server. Returns a
    description and the clean-up that removes it."""
    import tempfile

    os.environ["DJANGO_SETTINGS_MODULE"] = "kesher.settings"
    if db == "sqlite":
        folder = tempfile.TemporaryDirectory(prefix=prefix)
        os.environ.pop("DATABASE_URL", None)
        os.environ["KESHER_VAR_DIR"] = folder.name

        def remove():
            _access_log_written()
            folder.cleanup()

        return f"SQLite file in {folder.name}", remove
    server = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres"
    parts = urlsplit(server)
    url = urlunsplit((parts.scheme, parts.netloc, f"/{pg_name}", parts.query, ""))
    with admin_connection(url) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {pg_name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {pg_name}")
    os.environ["DATABASE_URL"] = url

    def drop():
        from django.db import connections

        _access_log_written()
        connections.close_all()
        with admin_connection(url) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {pg_name} WITH (FORCE)")

    return f"PostgreSQL database {pg_name} on {parts.hostname}:{parts.port or 5432}", drop


def migrate() -> None:
    """Bring the benchmark database to the latest schema: ``manage.py migrate``.

    A fresh database for a smoke run (``KESHER_BENCH_SCHEMA=models``, tests/test_bench_smoke.py)
    is built from the models and Kesher's data migrations instead, as the test database is
    (``kesher/platform/testing/database.py``): seconds instead of a minute or more of CPU
    rendering ~176 migrations' states. Figures worth recording are measured on a migrated
    database: the variable is for the smoke runs only.
    """
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.recorder import MigrationRecorder

    fresh = not MigrationRecorder(connection).has_table()
    if fresh and os.environ.get("KESHER_BENCH_SCHEMA") == "models":
        from django.test.utils import override_settings

        from kesher.platform.testing import database

        with override_settings(MIGRATION_MODULES=database.NoMigrations()):
            call_command("migrate", run_syncdb=True, verbosity=0, interactive=False)
        call_command("createcachetable", verbosity=0)
        database.record_every_migration()
        database.run_data_migrations()
        return
    call_command("migrate", verbosity=0, interactive=False)


def create_database(target: Target, *, fresh: bool) -> None:
    """Make sure the benchmark database exists; ``fresh`` drops whatever was there first."""
    if target.vendor == "sqlite":
        if fresh:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{target.sqlite_path}{suffix}").unlink(missing_ok=True)
        return
    from psycopg import sql

    name = target.postgres_name
    with _maintenance_connection(target) as conn:
        if fresh:
            drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
            conn.execute(drop.format(sql.Identifier(name)))
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def database_exists(target: Target) -> bool:
    if target.vendor == "sqlite":
        return target.sqlite_path.exists()
    with _maintenance_connection(target) as conn:
        found = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [target.postgres_name]
        ).fetchone()
    return bool(found)


# The server settings that shape the figures, recorded beside them (docs/deploy.md, "Sizing
# PostgreSQL"): memory, what a commit waits for, how the planner prices a page read, and the
# collation the prefix ranges rely on. SQLite: the pragmas Kesher's connection sets.
POSTGRES_SETTINGS = (
    "shared_buffers",
    "effective_cache_size",
    "work_mem",
    "maintenance_work_mem",
    "synchronous_commit",
    "wal_compression",
    "max_wal_size",
    "random_page_cost",
    "effective_io_concurrency",
    "max_parallel_workers_per_gather",
    "jit",
    "max_connections",
)
SQLITE_PRAGMAS = (
    "journal_mode",
    "synchronous",
    "cache_size",
    "mmap_size",
    "temp_store",
    "page_size",
    "foreign_keys",
)


def settings_of(cursor, vendor: str) -> dict[str, str]:
    """The server's settings (PostgreSQL) or the connection's pragmas (SQLite), through a
    DB-API ``cursor`` of Django's connection or a bare one; ``vendor`` as Django names it."""
    found: dict[str, str] = {}
    if vendor == "sqlite":
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(f"PRAGMA {pragma}")
            row = cursor.fetchone()
            found[pragma] = str(row[0]) if row else ""
        return found
    for name in POSTGRES_SETTINGS:
        cursor.execute(f"SHOW {name}")
        found[name] = str(cursor.fetchone()[0])
    cursor.execute("SELECT datcollate FROM pg_database WHERE datname = current_database()")
    found["collation"] = cursor.fetchone()[0]
    return found


def database_settings() -> dict[str, str]:
    """``settings_of`` Django's connection."""
    from django.db import connection

    with connection.cursor() as cursor:
        return settings_of(cursor, connection.vendor)


def settings_line(found: dict[str, str]) -> str:
    """The settings as one line of a results file: ``shared_buffers 128MB, work_mem 4MB…``."""
    return ", ".join(f"{name} {value}" for name, value in found.items())


def engine_version() -> str:
    """The database engine Django is connected to, with its version and the settings that
    shape the figures (``database_settings``), for a results file."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("select sqlite_version()")
            version = f"SQLite {cursor.fetchone()[0]}"
        else:
            cursor.execute("show server_version")
            version = f"PostgreSQL {cursor.fetchone()[0]}"
    return f"{version} ({settings_line(database_settings())})"

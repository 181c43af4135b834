"""The test processes' database (conftest.py), and what the upgrade tests put back after them.

Built from the models rather than by replaying every migration: Django renders the models'
state after each of ~176 migrations, a minute or more of CPU, against seconds for creating the
tables. The schema is the same (``makemigrations --check`` holds the models to the migrations,
and Kesher's few database-only operations drop indexes the models no longer declare); every
migration is recorded as applied, and Kesher's data migrations (built-in roles, pick-lists…) run
on it once. The rows they write are kept, as SQL literals, and put back into an emptied
database in one INSERT per table: running the data migrations again costs ~2,600 queries.
"""

from __future__ import annotations

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.operations import RunPython
from django.db.migrations.recorder import MigrationRecorder
from django.test.utils import override_settings

__all__ = [
    "NoMigrations",
    "build_from_models",
    "commit_without_waiting",
    "keep_built_in_rows",
    "record_every_migration",
    "restore_built_in_rows",
    "run_data_migrations",
]

# table → (its columns, each built-in row as SQL literals), read once per test process.
_built_in_rows: dict[str, tuple[list[str], list[tuple[str, ...]]]] = {}


class NoMigrations:
    """``MIGRATION_MODULES`` for "no app has migrations": ``migrate`` creates the tables from
    the models (``run_syncdb``)."""

    def __contains__(self, app_label: str) -> bool:
        return True

    def __getitem__(self, app_label: str) -> None:
        return None


def _graph(using=DEFAULT_DB_ALIAS):
    return MigrationLoader(connections[using], ignore_no_migrations=True).graph


def commit_without_waiting(using=DEFAULT_DB_ALIAS) -> None:
    """PostgreSQL: the test database's commits do not wait for the write-ahead log to reach the
    disk (``synchronous_commit = off``; every session on it, the live server's and the upgrade
    tests' included). What a commit makes visible, and when, is the same; only a crash of the
    server could lose the last commits, of a database thrown away after the run. A commit took
    ~7 ms on this machine's disk, against ~0.4 ms without the wait, and a transactional test
    commits each statement it sends."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    name = connection.ops.quote_name(connection.settings_dict["NAME"])
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER DATABASE {name} SET synchronous_commit TO off")
        cursor.execute("SET synchronous_commit TO off")  # this session began before


def record_every_migration(using=DEFAULT_DB_ALIAS) -> None:
    recorder = MigrationRecorder(connections[using])
    recorder.ensure_schema()
    recorder.migration_qs.bulk_create(
        [recorder.Migration(app=app, name=name) for app, name in _graph(using).nodes]
    )


def run_data_migrations(using=DEFAULT_DB_ALIAS) -> None:
    """Kesher's data migrations and those of the test-only apps (the development guide's example
    grants its entity), in the migrations' order, on the models as they are now."""
    graph = _graph(using)
    plan = []
    for leaf in sorted(graph.leaf_nodes()):
        plan += [node for node in graph.forwards_plan(leaf) if node not in plan]
    with connections[using].schema_editor() as schema_editor:
        for node in plan:
            for operation in graph.nodes[node].operations:
                if isinstance(operation, RunPython) and operation.code.__module__.startswith(
                    ("kesher.", "tests.")
                ):
                    operation.code(apps, schema_editor)


def build_from_models(using=DEFAULT_DB_ALIAS) -> None:
    """An empty database made the latest one: tables from the models, every migration recorded,
    the built-in rows kept by ``keep_built_in_rows`` put back."""
    with override_settings(MIGRATION_MODULES=NoMigrations()):
        call_command("migrate", database=using, run_syncdb=True, interactive=False, verbosity=0)
    call_command("createcachetable", database=using, verbosity=0)
    record_every_migration(using)
    # migrate made the content types and permissions anew; the kept ones replace them.
    call_command(
        "flush",
        database=using,
        interactive=False,
        inhibit_post_migrate=True,
        reset_sequences=False,
        verbosity=0,
    )
    restore_built_in_rows(using)


def keep_built_in_rows(using=DEFAULT_DB_ALIAS) -> None:
    """Each row of the database, as the SQL literals of its values (``quote`` and
    ``quote_nullable`` give back exactly what the database holds, whatever the type)."""
    connection = connections[using]
    quote = "quote" if connection.vendor == "sqlite" else "quote_nullable"
    name = connection.ops.quote_name
    introspection = connection.introspection
    _built_in_rows.clear()
    with connection.cursor() as cursor:
        for table in sorted(introspection.django_table_names(only_existing=True)):
            # The columns' names as a query answers them: SQLite's full table description
            # parses each table's SQL for its collations, seconds for the whole schema.
            cursor.execute(f"SELECT * FROM {name(table)} WHERE 1 = 0")  # noqa: S608 (table names)
            columns = [column[0] for column in cursor.description]
            values = ", ".join(f"{quote}({name(column)})" for column in columns)
            cursor.execute(f"SELECT {values} FROM {name(table)}")  # noqa: S608 (table names)
            rows = [tuple(row) for row in cursor.fetchall()]
            if rows:
                _built_in_rows[table] = (columns, rows)


def kept_rows() -> dict[str, tuple[list[str], list[tuple[str, ...]]]]:
    return dict(_built_in_rows)


def restore_built_in_rows(using=DEFAULT_DB_ALIAS) -> None:
    """Put the kept rows back into the emptied database. Their foreign keys are deferred, so the
    tables' order does not matter; PostgreSQL's sequences are set past them (an upgrade test
    rebuilds the tables, and their sequences with them)."""
    connection = connections[using]
    name = connection.ops.quote_name
    with transaction.atomic(using=using), connection.cursor() as cursor:
        for table, (columns, rows) in _built_in_rows.items():
            into = f"INSERT INTO {name(table)} ({', '.join(map(name, columns))}) VALUES "  # noqa: S608
            for start in range(0, len(rows), 400):
                values = ", ".join(f"({', '.join(row)})" for row in rows[start : start + 400])
                cursor.execute(into + values)
        if connection.vendor == "postgresql":
            models = [
                model
                for model in apps.get_models(include_auto_created=True)
                if model._meta.db_table in _built_in_rows
            ]
            cursor.execute(";".join(connection.ops.sequence_reset_sql(no_style(), models)))
    ContentType.objects.clear_cache()

"""Checking that an upgrade keeps data (issue "Platform v2" item 9).

The steps a test takes, each usable alone:

- ``database_at(nodes)`` empties the test database and migrates it forward to exactly the given
  migrations (and what they depend on), as ``migrate`` did at that release, its signals
  included (content types, permissions); it yields that state's historical apps. When the block
  ends, whatever happened inside, the database is the latest one again: as the test left it if
  it upgraded to the end, else rebuilt from the models (``testing/database.py``), in seconds
  rather than a full ``migrate``.
- ``upgrade()`` is the upgrade itself: ``manage.py migrate``; ``upgrade(to=node)`` goes only as
  far as the migration a test is about, and gives that state's historical apps.
- ``nodes_before(node)`` is the smallest state a migration can run from: what it depends on.
- ``snapshot()`` reads every row of every table; ``compare(before, after, allowed)`` answers
  each difference that no declared ``Change`` explains, as a readable line.

A declaration names tables and columns as the old database has them, says why, and is itself
checked: one that explains nothing is reported too, so the list stays the list of what this
upgrade really does. ``standing=True`` marks what any upgrade may do (Django adds the content
types and permissions of new models), which is never reported as unused.

See ``docs/development/upgrades.md``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.sql import emit_post_migrate_signal, emit_pre_migrate_signal
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.state import ProjectState
from django.db.models.fields import related

from kesher.platform.testing.database import build_from_models

__all__ = [
    "AddedColumn",
    "AddedRows",
    "Change",
    "ChangedValues",
    "DroppedColumn",
    "DroppedTable",
    "RemovedRows",
    "RenamedColumn",
    "RenamedTable",
    "Table",
    "compare",
    "database_at",
    "leaf_nodes",
    "nodes_before",
    "snapshot",
    "upgrade",
]

Node = tuple[str, str]
# Django's own bookkeeping of applied migrations: it changes on every upgrade by design.
# The shared cache's table (decision 0067) holds throttle counts, not records.
NOT_DATA = frozenset({"django_migrations", "kesher_cache"})


# --- The migration states ----------------------------------------------------------------------


def leaf_nodes(using=DEFAULT_DB_ALIAS) -> list[Node]:
    """The latest migration of every app: a release's baseline is this list at its commit."""
    loader = MigrationLoader(connections[using], ignore_no_migrations=True)
    return sorted(loader.graph.leaf_nodes())


def nodes_before(node: Node, *, apps: Iterable[str] = (), using=DEFAULT_DB_ALIAS) -> list[Node]:
    """The migrations ``node`` depends on, and the latest migration of each of ``apps`` applied
    before it: the state it was applied to on every install, as far as its own operations and
    the test's rows (records of ``apps``) can tell. Migrating the whole rest of the graph would
    replay migrations the test is not about, a minute of CPU each time."""
    graph = MigrationLoader(connections[using], ignore_no_migrations=True).graph
    gone, labels = set(graph.backwards_plan(node)), set(apps)
    kept = {key for key in graph.nodes if key[0] in labels and key not in gone}
    return sorted({parent.key for parent in graph.node_map[node].parents} | _latest(graph, kept))


def _latest(graph, nodes: set[Node]) -> set[Node]:
    """Of ``nodes``, each app's last: none of its own app's children is among them."""
    return {
        key
        for key in nodes
        if not any(
            child.key in nodes and child.key[0] == key[0] for child in graph.node_map[key].children
        )
    }


@contextmanager
def database_at(
    nodes: Sequence[Node], using=DEFAULT_DB_ALIAS, *, replay: bool = True
) -> Iterator[Any]:
    """The test database as ``migrate`` left it at ``nodes``; yields their historical apps.

    Built forward from an empty database, never by unapplying: the old database of an install
    was made that way, and a data migration need not be reversible.

    ``replay=False`` makes the tables at once from that state's models and records the
    migrations as applied, without running them: their data steps (built-in roles,
    pick-lists…) are then not there. Enough for a test about a later migration that writes the
    rows it is about, and seconds instead of the minute a replay of most of the graph costs
    (Django renders the models' state after each of its operations).
    """
    connection = connections[using]
    graph = MigrationLoader(connection, ignore_no_migrations=True).graph
    unknown = [node for node in nodes if node not in graph.nodes]
    if unknown:
        raise ValueError(f"migrations not found (squashed or renamed since?): {unknown}")
    try:
        _drop_every_table(connection)
        yield (_migrate_to if replay else _create_at)(list(nodes), connection)
    finally:
        if MigrationExecutor(connection).migration_plan(leaf_nodes(using)):
            _drop_every_table(connection)
            build_from_models(using)


def upgrade(using=DEFAULT_DB_ALIAS, *, to: Node | None = None):
    """What an install runs to upgrade: ``manage.py migrate``. With ``to``, only as far as that
    migration, and the historical apps of the state reached are returned."""
    with _swappable_names_kept():
        call_command("migrate", *(to or ()), database=using, interactive=False, verbosity=0)
        ContentType.objects.clear_cache()
        if to is None:
            return None
        loader = MigrationLoader(connections[using])
        latest = _latest(loader.graph, set(loader.applied_migrations))
        return loader.project_state(sorted(latest), at_end=True).apps


def _drop_every_table(connection) -> None:
    tables = connection.introspection.table_names()
    # SQLite's schema editor turns foreign-key checks off around it; PostgreSQL drops CASCADE.
    with connection.schema_editor() as editor:
        for table in tables:
            editor.execute(editor.sql_delete_table % {"table": editor.quote_name(table)})
    ContentType.objects.clear_cache()


def _migrate_to(targets: list[Node], connection):
    """``migrate``'s own steps for several targets at once (the command takes one app)."""
    executor = MigrationExecutor(connection)
    executor.recorder.ensure_schema()
    plan = executor.migration_plan(targets, clean_start=True)
    before = ProjectState(real_apps=executor.loader.unmigrated_apps)
    emit_pre_migrate_signal(0, False, connection.alias, apps=before.apps, plan=plan)
    with _swappable_names_kept():
        after = executor.migrate(targets, plan=plan, state=before.clone())
        after.clear_delayed_apps_cache()
        emit_post_migrate_signal(0, False, connection.alias, apps=after.apps, plan=plan)
    ContentType.objects.clear_cache()
    return after.apps


def _create_at(targets: list[Node], connection):
    """The tables of the state at ``targets`` made from its models, as ``migrate --run-syncdb``
    makes an app's without migrations; the plan recorded as applied; the post-migrate signal
    sent with that state's apps, so content types and permissions are as ``migrate`` left
    them."""
    executor = MigrationExecutor(connection)
    executor.recorder.ensure_schema()
    plan = executor.migration_plan(targets, clean_start=True)
    emit_pre_migrate_signal(
        0,
        False,
        connection.alias,
        apps=ProjectState(real_apps=executor.loader.unmigrated_apps).apps,
        plan=plan,
    )
    with _swappable_names_kept():
        state = executor.loader.project_state(targets, at_end=True)
        state.apps  # noqa: B018 (rendered once, inside the kept names)
    with connection.schema_editor() as editor:
        for model in state.apps.get_models():
            if model._meta.managed and not model._meta.proxy:
                editor.create_model(model)
    recorder = executor.recorder
    recorder.migration_qs.bulk_create(
        [recorder.Migration(app=migration.app_label, name=migration.name) for migration, _ in plan]
    )
    emit_post_migrate_signal(0, False, connection.alias, apps=state.apps, plan=plan)
    ContentType.objects.clear_cache()
    return state.apps


class _SwappableNamesKept:
    """The app registry as ``django.db.models.fields.related`` reads it, but for the names of
    swappable settings (``"AUTH_USER_MODEL"`` for ``"org.User"``), each worked out once.

    Django caches that answer (``Apps.get_swappable_settings_name``), but the cache is one for
    every registry, and each historical registry a migration renders empties it: the answer
    is then worked out again over every model, for each foreign key of each model rendered,
    ~30,000 times in a replay of the migrations, a tenth of its CPU. The names follow from the
    settings, which no migration changes; every other question goes to the registry itself."""

    def __init__(self, registry):
        self._registry = registry
        self._names: dict[str, str | None] = {}

    def get_swappable_settings_name(self, to_string: str) -> str | None:
        if to_string not in self._names:
            self._names[to_string] = self._registry.get_swappable_settings_name(to_string)
        return self._names[to_string]

    def __getattr__(self, name: str):
        return getattr(self._registry, name)


@contextmanager
def _swappable_names_kept() -> Iterator[None]:
    registry = related.apps
    related.apps = _SwappableNamesKept(registry)
    try:
        yield
    finally:
        related.apps = registry


# --- Rows --------------------------------------------------------------------------------------


@dataclass
class Table:
    """Every row of one table, keyed by its primary key (the whole row where it has none)."""

    columns: tuple[str, ...]
    key: tuple[str, ...]
    rows: dict[tuple, dict[str, Any]]


def snapshot(using=DEFAULT_DB_ALIAS) -> dict[str, Table]:
    """Every row of every table, as the database returns them."""
    connection = connections[using]
    found = {}
    with connection.cursor() as cursor:
        for table in sorted(set(connection.introspection.table_names(cursor)) - NOT_DATA):
            key = tuple(connection.introspection.get_primary_key_columns(cursor, table) or ())
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            columns = tuple(column[0] for column in cursor.description)
            rows = {}
            for values in cursor.fetchall():
                row = dict(zip(columns, map(_plain, values), strict=True))
                rows[tuple(row[c] for c in key) if key else tuple(map(repr, values))] = row
            found[table] = Table(columns, key, rows)
    return found


def _plain(value):
    return bytes(value) if isinstance(value, memoryview) else value


# --- What an upgrade may change ----------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, eq=False)
class Change:
    """One reviewed difference an upgrade is allowed to make; ``why`` says which migration.
    (Compared by identity: a value may be a dict or a function.)"""

    why: str
    standing: bool = False


@dataclass(frozen=True, kw_only=True, eq=False)
class RenamedTable(Change):
    old: str
    new: str


@dataclass(frozen=True, kw_only=True, eq=False)
class DroppedTable(Change):
    table: str


@dataclass(frozen=True, kw_only=True, eq=False)
class RenamedColumn(Change):
    table: str
    old: str
    new: str


@dataclass(frozen=True, kw_only=True, eq=False)
class AddedColumn(Change):
    """A new column; ``value`` is what each old row holds in it (or a function of the old row).
    JSON is compared as data, so ``{}`` matches a column's ``'{}'``."""

    table: str
    column: str
    value: Any = None


@dataclass(frozen=True, kw_only=True, eq=False)
class DroppedColumn(Change):
    table: str
    column: str


@dataclass(frozen=True, kw_only=True, eq=False)
class ChangedValues(Change):
    """A data migration's rewrite of a column: ``change(old_value, old_row)`` is the new value
    (values as the database returns them)."""

    table: str
    column: str
    change: Callable[[Any, dict], Any] = lambda value, row: value


@dataclass(frozen=True, kw_only=True, eq=False)
class AddedRows(Change):
    """New rows in an old table (a data migration's seed values, Django's new permissions)."""

    table: str


@dataclass(frozen=True, kw_only=True, eq=False)
class RemovedRows(Change):
    """Old rows an upgrade deletes on purpose; ``which(old_row)`` says which ones."""

    table: str
    which: Callable[[dict], bool] = lambda row: False


EXAMPLES = 5  # differences shown per column; the count says how many there were


def compare(
    before: dict[str, Table], after: dict[str, Table], allowed: Iterable[Change]
) -> list[str]:
    """Each difference between the snapshots that ``allowed`` does not explain, and each
    declaration that explained nothing."""
    allowed = list(allowed)
    used: set[Change] = set()
    problems = []
    renamed = {c.old: c for c in allowed if isinstance(c, RenamedTable)}
    for name, old in before.items():
        new_name = renamed[name].new if name in renamed else name
        if new_name not in after:
            dropped = _declared(allowed, DroppedTable, table=name)
            if dropped:
                used.add(dropped)
            else:
                problems.append(f"{name}: the table is gone, with its {len(old.rows)} rows")
            continue
        if name in renamed:
            used.add(renamed[name])
        problems += _compare_table(name, old, after[new_name], allowed, used)
    problems += [
        f"declared, but this upgrade does not do it (remove it?): {change!r}"
        for change in allowed
        if change not in used and not change.standing
    ]
    return problems


def _declared(allowed, kind, **match):
    for change in allowed:
        if isinstance(change, kind) and all(getattr(change, k) == v for k, v in match.items()):
            return change
    return None


def _compare_table(name, old, new, allowed, used):
    problems = []
    mine = [c for c in allowed if getattr(c, "table", None) == name]
    renamed = {c.old: c.new for c in mine if isinstance(c, RenamedColumn)}
    dropped = {c.column for c in mine if isinstance(c, DroppedColumn)}
    added = {c.column: c for c in mine if isinstance(c, AddedColumn)}
    changed = {c.column: c for c in mine if isinstance(c, ChangedValues)}
    kept = {column: renamed.get(column, column) for column in old.columns if column not in dropped}
    used.update(c for c in mine if isinstance(c, RenamedColumn | DroppedColumn))

    for column, new_column in kept.items():
        if new_column not in new.columns:
            problems.append(f"{name}.{column}: the column is gone")
    for column in new.columns:
        if column not in kept.values() and column not in added:
            values = sorted({repr(row.get(column)) for row in new.rows.values()})[:EXAMPLES]
            problems.append(
                f"{name}.{column}: a new column, not declared (AddedColumn with the value old "
                f"rows get; they hold {', '.join(values) or 'nothing'})"
            )
    key = tuple(renamed.get(column, column) for column in old.key)
    if key != new.key:
        problems.append(f"{name}: the primary key was {old.key}, is now {new.key}")
        return problems

    removable = [c for c in mine if isinstance(c, RemovedRows)]
    gone, differences = [], {}
    for row_key, row in old.rows.items():
        new_row = new.rows.get(row_key)
        if new_row is None:
            removal = next((c for c in removable if c.which(row)), None)
            if removal:
                used.add(removal)
            else:
                gone.append(row_key)
            continue
        for column, new_column in kept.items():
            if new_column not in new_row:
                continue
            expected = row[column]
            if column in changed:
                expected = changed[column].change(row[column], row)
                if not _same(expected, row[column]):
                    used.add(changed[column])
            if not _same(new_row[new_column], expected):
                found = (row_key, row[column], new_row[new_column], expected)
                differences.setdefault(column, []).append(found)
        for column, declaration in added.items():
            if column in new_row:
                used.add(declaration)
                value = declaration.value
                expected = value(row) if callable(value) else value
                if not _same(new_row[column], expected):
                    found = (row_key, expected, new_row[column], expected)
                    differences.setdefault(column, []).append(found)

    if gone:
        problems.append(f"{name}: {len(gone)} of {len(old.rows)} rows gone: {_keys(old.key, gone)}")
    for column, found in differences.items():
        lines = [
            f"    {_keys(old.key, [k])}: {_show(was)} → {_show(now)}"
            + ("" if _same(expected, was) else f" (declared: {_show(expected)})")
            for k, was, now, expected in found[:EXAMPLES]
        ]
        problems.append(
            f"{name}.{column}: changed in {len(found)} of {len(old.rows)} rows\n" + "\n".join(lines)
        )
    new_keys = sorted(new.rows.keys() - old.rows.keys(), key=repr)
    if new_keys:
        addition = _declared(allowed, AddedRows, table=name)
        if addition:
            used.add(addition)
        else:
            problems.append(f"{name}: {len(new_keys)} rows added: {_keys(new.key, new_keys)}")
    return problems


def _same(value, expected) -> bool:
    if value == expected:
        return True
    # JSON comes back as text from one database and as data from another.
    if isinstance(value, str) and isinstance(expected, dict | list):
        try:
            return json.loads(value) == expected
        except ValueError:
            return False
    return False


def _keys(columns, keys) -> str:
    shown = ", ".join(
        " ".join(f"{c}={v}" for c, v in zip(columns, key, strict=True))
        if columns
        else f"({', '.join(key)})"
        for key in keys[:EXAMPLES]
    )
    return shown + (f" … (+{len(keys) - EXAMPLES})" if len(keys) > EXAMPLES else "")


def _show(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "…"

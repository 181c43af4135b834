"""Upgrades keep data (issue "Platform v2" item 9): a database at the last release's migrations,
a few generated rows in every table, is upgraded with ``migrate``; every row of every table must
come out as it went in, but for the reviewed changes in ``allowed.py``."""

from django.apps import apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader

from kesher.platform.testing.filler import fill
from kesher.platform.testing.upgrade import compare, database_at, leaf_nodes, snapshot, upgrade
from kesher.platform.tests.upgrade.allowed import ALLOWED, NOT_FILLED
from kesher.platform.tests.upgrade.baseline import BASELINE


def _test_only_nodes() -> list:
    """The latest migrations of the test-only apps (the development guide's example, decision
    0053). No release has them; the old database is given them as they are now, so that the
    upgrade is compared for Kesher's own migrations."""
    labels = {app.label for app in apps.get_app_configs() if app.name.startswith("tests.")}
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    return [node for node in graph.leaf_nodes() if node[0] in labels]


def test_test_only_apps_need_nothing_newer_than_the_last_release():
    """Else installing them at the release would migrate Kesher's apps past it, unchecked."""
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    released = {parent for node in BASELINE for parent in graph.forwards_plan(node)}
    labels = {node[0] for node in _test_only_nodes()}
    needed = {parent for node in _test_only_nodes() for parent in graph.forwards_plan(node)}
    assert sorted(n for n in needed - released if n[0] not in labels) == []


def test_an_upgrade_from_the_last_release_keeps_every_row(transactional_db):
    with database_at((*BASELINE, *_test_only_nodes())) as old_apps:
        tables = set(connection.introspection.table_names()) - {
            "django_migrations",
            "kesher_cache",
            *NOT_FILLED,
        }
        filled = fill(old_apps, tables=tables)
        before = snapshot()
        upgrade()
        after = snapshot()

    unfilled = sorted(table for table in tables if not filled.rows.get(table))
    assert unfilled == [], f"tables of the old state the filler wrote no row into: {unfilled}"
    problems = compare(before, after, ALLOWED)
    assert not problems, "The upgrade changed stored data (declare what is meant in " + (
        "kesher/platform/tests/upgrade/allowed.py):\n" + "\n".join(problems)
    )
    # The other tests find the database fully migrated.
    assert MigrationExecutor(connection).migration_plan(leaf_nodes()) == []

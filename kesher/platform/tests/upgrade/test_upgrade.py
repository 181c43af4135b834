"""Upgrades keep data (issue "Platform v2" item 9): a database at the last release's migrations,
a few generated rows in every table, is upgraded with ``migrate``; every row of every table must
come out as it went in, but for the reviewed changes in ``allowed.py``."""

from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from kesher.platform.testing.filler import fill
from kesher.platform.testing.upgrade import compare, database_at, leaf_nodes, snapshot, upgrade
from kesher.platform.tests.upgrade.allowed import ALLOWED, NOT_FILLED
from kesher.platform.tests.upgrade.baseline import BASELINE


def test_an_upgrade_from_the_last_release_keeps_every_row(transactional_db):
    with database_at(BASELINE) as old_apps:
        tables = set(connection.introspection.table_names()) - {"django_migrations", *NOT_FILLED}
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

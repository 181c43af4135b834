"""The generic filler writes every table of a migration state by field type alone."""

from django.db import connection
from django.db.migrations.loader import MigrationLoader

from kesher.platform.testing.filler import ROWS, fill


def test_every_table_of_the_latest_state_gets_rows_of_every_kind(db):
    apps = MigrationLoader(connection).project_state().apps
    tables = set(connection.introspection.table_names()) - {"django_migrations", "kesher_cache"}
    filled = fill(apps, tables=tables, seed=7)

    assert {table: len(pks) for table, pks in filled.rows.items()} == dict.fromkeys(tables, ROWS)
    Contact = apps.get_model("customers", "Contact")
    first, *_, last = Contact.objects.filter(pk__in=filled.rows["customers_contact"]).order_by("pk")
    assert any("\u0590" <= c <= "\u05ff" for c in first.first_name)  # Hebrew
    assert {"\u200f", "\u202b", "\u200e"} & set(first.first_name)  # direction marks
    # Mixed case, as people type addresses; a contact's is stored lower-cased (issue 14 item 7).
    assert first.email == first.email.lower()
    assert "@" in first.email
    User = apps.get_model("org", "User")
    user = User.objects.filter(pk__in=filled.rows["org_user"]).order_by("pk").first()
    assert user.email != user.email.lower()
    assert first.custom  # JSON
    assert first.owner_id is not None
    assert last.owner_id is None  # the last row leaves nullable columns empty
    # A key to the same table points at an earlier row; a cycle (a department's manager, a
    # user's department) is closed once both tables are filled.
    Task = apps.get_model("activities", "Task")
    tasks = list(Task.objects.filter(pk__in=filled.rows["activities_task"]).order_by("pk"))
    assert [task.parent_id for task in tasks] == [None, tasks[0].pk, None]
    Department = apps.get_model("org", "Department")
    managed = Department.objects.filter(pk__in=filled.rows["org_department"][:-1])
    assert all(department.manager_id for department in managed)
    # Many-to-many rows link generated records.
    assert len(filled.rows["customers_account_tags"]) == ROWS

"""Each phone is one search token, its international digits reversed (decision 0054): the
national form's token (leading 0), which every Israeli number had beside it, is deleted where
its international twin is there — a national number typed with its leading 0 is looked up as
the international one now. Back: the national tokens are made again from the international
ones of +972 numbers.

Not atomic: after deleting a fifth of the table, PostgreSQL's index-only scans need the
visibility map a VACUUM sets (without it the two-word search read 3× slower on the reference
set until autovacuum came), and VACUUM cannot run in a transaction. (SQLite's plans do not
change with the count; an ``ANALYZE`` here would also create its statistics table where there
was none.)"""

from django.db import migrations

NATIONAL_TWINS = """
DELETE FROM platform_searchtoken
WHERE kind = 3 AND token LIKE '%0' AND EXISTS (
    SELECT 1 FROM platform_searchtoken AS twin
    WHERE twin.entity = platform_searchtoken.entity
      AND twin.object_id = platform_searchtoken.object_id
      AND twin.kind = 3
      AND twin.token = substr(platform_searchtoken.token, 1, length(platform_searchtoken.token) - 1)
          || '279'
)
"""

NATIONAL_AGAIN = """
INSERT INTO platform_searchtoken (entity, object_id, kind, token)
SELECT entity, object_id, 3, substr(token, 1, length(token) - 3) || '0'
FROM platform_searchtoken WHERE kind = 3 AND token LIKE '%279'
"""


def vacuum(apps, schema_editor):
    # Inside a transaction (the test suite re-runs data migrations in one) there is nothing to
    # vacuum and VACUUM cannot run.
    connection = schema_editor.connection
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE platform_searchtoken")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("platform", "0012_only_needed_indexes"),
    ]

    operations = [
        migrations.RunSQL(NATIONAL_TWINS, NATIONAL_AGAIN),
        migrations.RunPython(vacuum, migrations.RunPython.noop),
    ]

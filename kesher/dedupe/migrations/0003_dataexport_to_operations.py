"""The full export's jobs moved to the operations app (its migration 0001 keeps the table)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("dedupe", "0002_dataexport"),
        ("operations", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="DataExport")],
        ),
    ]

"""The access log's user column loses its single-column index: ``access_user`` (user, at)
answers every lookup by user, and each page read wrote both."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from kesher.platform.migration_ops import without_column_index


class Migration(migrations.Migration):
    dependencies = [
        ("privacy", "0005_retention_rules"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        without_column_index(
            "privacy",
            "accessentry",
            "user",
            models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="user",
            ),
        ),
    ]

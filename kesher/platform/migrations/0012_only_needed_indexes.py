"""Only the indexes the figures need (issue 26): a column a composite index leads with loses
its own index, and the lower-cased e-mail index goes (e-mails are stored lower-cased)."""

import django.db.models.deletion
from django.db import migrations, models

from kesher.platform.migration_ops import without_column_index


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('platform', '0011_bulk_link_actions'),
    ]

    operations = [
        without_column_index(
            'platform',
            'auditentry',
            'content_type',
            models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, to='contenttypes.contenttype'),
        ),
    ]

"""Only the indexes the figures need (issue 26): a column a composite index leads with loses
its own index, and the lower-cased e-mail index goes (e-mails are stored lower-cased)."""

import django.db.models.deletion
from django.db import migrations, models

from kesher.platform.migration_ops import without_column_index


class Migration(migrations.Migration):

    dependencies = [
        ('imports', '0003_job_duplicates_report'),
    ]

    operations = [
        without_column_index(
            'imports',
            'importrowchange',
            'job',
            models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='changes', to='imports.importjob'),
        ),
    ]

"""Only the indexes the figures need (decision 0059): a column a composite index leads with
loses its own index; a lead's exact keys get one named index each, without PostgreSQL's LIKE twin."""

import django.db.models.deletion
import kesher.platform.fields
from django.conf import settings
from django.db import migrations, models

from kesher.platform.migration_ops import without_column_index


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0009_only_needed_indexes'),
        ('platform', '0013_search_phone_once'),
        ('sales', '0002_defaults'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        without_column_index(
            'sales',
            'lead',
            'email',
            kesher.platform.fields.LowercaseEmailField(blank=True, max_length=254, verbose_name='email'),
        ),
        without_column_index(
            'sales',
            'lead',
            'mobile',
            kesher.platform.fields.PhoneField(blank=True, max_length=20, verbose_name='mobile'),
        ),
        without_column_index(
            'sales',
            'lead',
            'owner',
            models.ForeignKey(blank=True, db_index=False, limit_choices_to={'is_active': True}, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='owned_leads', to=settings.AUTH_USER_MODEL, verbose_name='owner'),
        ),
        without_column_index(
            'sales',
            'lead',
            'phone',
            kesher.platform.fields.PhoneField(blank=True, max_length=20, verbose_name='phone'),
        ),
        without_column_index(
            'sales',
            'opportunity',
            'owner',
            models.ForeignKey(blank=True, db_index=False, limit_choices_to={'is_active': True}, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='owned_opportunities', to=settings.AUTH_USER_MODEL, verbose_name='owner'),
        ),
        without_column_index(
            'sales',
            'opportunity',
            'stage',
            models.ForeignKey(db_index=False, limit_choices_to={'active': True}, on_delete=django.db.models.deletion.PROTECT, related_name='opportunities', to='sales.stage', verbose_name='stage'),
        ),
        migrations.AddIndex(
            model_name='lead',
            index=models.Index(fields=['email'], name='lead_email'),
        ),
        migrations.AddIndex(
            model_name='lead',
            index=models.Index(fields=['phone'], name='lead_phone'),
        ),
        migrations.AddIndex(
            model_name='lead',
            index=models.Index(fields=['mobile'], name='lead_mobile'),
        ),
    ]

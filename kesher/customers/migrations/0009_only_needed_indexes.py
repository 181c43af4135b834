"""Only the indexes the figures need (issue 26): a column a composite index leads with loses
its own index, and the lower-cased e-mail index goes (e-mails are stored lower-cased)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from kesher.platform.migration_ops import without_column_index


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0008_email_lower_case'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='account',
            name='account_email_lower',
        ),
        migrations.RemoveIndex(
            model_name='contact',
            name='contact_email_lower',
        ),
        without_column_index(
            'customers',
            'account',
            'owner',
            models.ForeignKey(blank=True, db_index=False, limit_choices_to={'is_active': True}, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='owned_accounts', to=settings.AUTH_USER_MODEL, verbose_name='owner'),
        ),
        without_column_index(
            'customers',
            'contact',
            'city',
            models.CharField(blank=True, max_length=100, verbose_name='city'),
        ),
        without_column_index(
            'customers',
            'contact',
            'owner',
            models.ForeignKey(blank=True, db_index=False, limit_choices_to={'is_active': True}, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='owned_contacts', to=settings.AUTH_USER_MODEL, verbose_name='owner'),
        ),
    ]

"""Only the indexes the figures need (issue 26): a column a composite index leads with loses
its own index; the lower-cased e-mail index goes (e-mails are stored lower-cased); the keys
matched exactly get an index of their own, without PostgreSQL's second one for LIKE patterns;
the city is kept in byte order on PostgreSQL for its prefix's values."""

import django.db.models.deletion
import kesher.platform.fields
from django.conf import settings
from django.db import migrations, models

from kesher.platform.migration_ops import without_column_index


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0008_email_lower_case'),
        ('org', '0003_user_manager'),
        ('platform', '0013_search_phone_once'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='account',
            name='account_email_lower',
        ),
        migrations.RemoveIndex(
            model_name='contact',
            name='contact_city_name',
        ),
        migrations.RemoveIndex(
            model_name='contact',
            name='contact_email_lower',
        ),
        without_column_index(
            'customers',
            'account',
            'city',
            models.CharField(blank=True, max_length=100, verbose_name='city'),
        ),
        without_column_index(
            'customers',
            'account',
            'company_number',
            kesher.platform.fields.CompanyNumberField(blank=True, max_length=9, verbose_name='company number'),
        ),
        without_column_index(
            'customers',
            'account',
            'email',
            kesher.platform.fields.LowercaseEmailField(blank=True, max_length=254, verbose_name='email'),
        ),
        without_column_index(
            'customers',
            'account',
            'israeli_id',
            kesher.platform.fields.IsraeliIdField(blank=True, max_length=9, verbose_name='ID number'),
        ),
        without_column_index(
            'customers',
            'account',
            'owner',
            models.ForeignKey(blank=True, db_index=False, limit_choices_to={'is_active': True}, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='owned_accounts', to=settings.AUTH_USER_MODEL, verbose_name='owner'),
        ),
        without_column_index(
            'customers',
            'account',
            'phone',
            kesher.platform.fields.PhoneField(blank=True, max_length=20, verbose_name='phone'),
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
            'email',
            kesher.platform.fields.LowercaseEmailField(blank=True, max_length=254, verbose_name='email'),
        ),
        without_column_index(
            'customers',
            'contact',
            'israeli_id',
            kesher.platform.fields.IsraeliIdField(blank=True, max_length=9, verbose_name='ID number'),
        ),
        without_column_index(
            'customers',
            'contact',
            'mobile',
            kesher.platform.fields.PhoneField(blank=True, max_length=20, verbose_name='mobile'),
        ),
        without_column_index(
            'customers',
            'contact',
            'owner',
            models.ForeignKey(blank=True, db_index=False, limit_choices_to={'is_active': True}, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='owned_contacts', to=settings.AUTH_USER_MODEL, verbose_name='owner'),
        ),
        without_column_index(
            'customers',
            'contact',
            'phone',
            kesher.platform.fields.PhoneField(blank=True, max_length=20, verbose_name='phone'),
        ),
        migrations.AddIndex(
            model_name='account',
            index=models.Index(fields=['company_number'], name='account_company_number'),
        ),
        migrations.AddIndex(
            model_name='account',
            index=models.Index(fields=['israeli_id'], name='account_israeli_id'),
        ),
        migrations.AddIndex(
            model_name='account',
            index=models.Index(fields=['phone'], name='account_phone'),
        ),
        migrations.AddIndex(
            model_name='account',
            index=models.Index(fields=['email'], name='account_email'),
        ),
        migrations.AddIndex(
            model_name='account',
            index=models.Index(fields=['city'], name='account_city', opclasses=['varchar_pattern_ops']),
        ),
        migrations.AddIndex(
            model_name='contact',
            index=models.Index(fields=['city', 'last_name', 'first_name', 'id'], name='contact_city_name', opclasses=['varchar_pattern_ops', '', '', '']),
        ),
        migrations.AddIndex(
            model_name='contact',
            index=models.Index(fields=['email'], name='contact_email'),
        ),
        migrations.AddIndex(
            model_name='contact',
            index=models.Index(fields=['phone'], name='contact_phone'),
        ),
        migrations.AddIndex(
            model_name='contact',
            index=models.Index(fields=['mobile'], name='contact_mobile'),
        ),
        migrations.AddIndex(
            model_name='contact',
            index=models.Index(fields=['israeli_id'], name='contact_israeli_id'),
        ),
    ]

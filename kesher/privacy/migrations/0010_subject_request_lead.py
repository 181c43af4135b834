"""A data-subject request may name a lead, for a person who never became a contact (issue 25
item 2); the privacy officer reads leads — never changes them — to name one and to read what
is found through them. Administrators change the grant as data afterwards (REQ OR-3)."""

import django.db.models.deletion
from django.db import migrations, models

from kesher.org.grants import apply_grants

GRANTS = {"privacy_officer": {"leads": (True, False, False, False, "all")}}


def grant(apps, schema_editor):
    apply_grants(apps, GRANTS)



class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0012_contact_language'),
        ('privacy', '0009_access_export_records'),
        ('sales', '0013_target_actuals_invoices'),
    ]

    operations = [
        migrations.AddField(
            model_name='subjectrequest',
            name='lead',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='subject_requests', to='sales.lead', verbose_name='lead'),
        ),
        migrations.AlterField(
            model_name='subjectrequest',
            name='contact',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='subject_requests', to='customers.contact', verbose_name='person'),
        ),
        migrations.RunPython(grant, migrations.RunPython.noop),
    ]

"""Phone campaigns' call lists and the do-not-call list (REQ MK-1; Communications Law §30A;
decision 0121): the tables, the call outcomes' pick-list with what each does (its settings:
``done`` — the call leaves the agent's list, ``callback`` — asks when, ``converts`` — makes a
lead or a deal; ``interaction_outcome`` — the interaction's outcome), and the built-in roles'
rights: managers (the marketers) manage both, sales reps and support agents read and log their
own calls only, the others nothing. Administrators change all of it as data afterwards."""

import django.db.models.deletion
import django.utils.timezone
import kesher.platform.fields
from django.conf import settings
from django.db import migrations, models

from kesher.org.grants import apply_grants

OUTCOMES = [  # value, Hebrew, English, colour, settings
    ("reached", "נוצר קשר", "Reached", "success", {"done": True, "interaction_outcome": "reached"}),
    ("no_answer", "אין מענה", "No answer", "secondary", {"interaction_outcome": "no_answer"}),
    (
        "callback",
        "לחזור אליו",
        "Call back at…",
        "warning",
        {"callback": True, "interaction_outcome": "follow_up"},
    ),
    (
        "not_interested",
        "לא מעוניין",
        "Not interested",
        "dark",
        {"done": True, "interaction_outcome": "not_interested"},
    ),
    (
        "interested",
        "מעוניין",
        "Interested",
        "success",
        {"done": True, "converts": True, "interaction_outcome": "interested"},
    ),
]

GRANTS = {  # role key: {entity: (view, add, change, delete, scope)}
    "manager": {
        "campaign-calls": (True, True, True, False, "all"),
        "do-not-call": (True, True, True, True, "all"),
    },
    "sales_rep": {"campaign-calls": (True, False, True, False, "own")},
    "support_agent": {"campaign-calls": (True, False, True, False, "own")},
}


def create_defaults(apps, schema_editor):
    Choice = apps.get_model("platform", "Choice")
    for order, (value, label_he, label_en, colour, extra) in enumerate(OUTCOMES):
        Choice.objects.get_or_create(
            list_key="call_outcome",
            value=value,
            defaults={
                "label_he": label_he,
                "label_en": label_en,
                "order": order,
                "colour": colour,
                "extra": extra,
            },
        )
    apply_grants(apps, GRANTS)


class Migration(migrations.Migration):

    dependencies = [
        ('activities', '0011_calendars_stamp'),
        ('customers', '0012_contact_language'),
        ('marketing', '0008_email_bounces'),
        ('platform', '0013_search_phone_once'),
        ('sales', '0013_target_actuals_invoices'),
        ('org', '0002_default_roles'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='DoNotCallNumber',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name='created')),
                ('updated_at', models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name='updated')),
                ('version', models.PositiveIntegerField(default=1, editable=False, verbose_name='version')),
                ('custom', models.JSONField(blank=True, default=dict, editable=False, verbose_name='custom fields')),
                ('phone', kesher.platform.fields.PhoneField(blank=True, max_length=20, unique=True, verbose_name='phone number')),
                ('source', models.CharField(blank=True, help_text="Where the number came from: the registry's file, the person's request…", max_length=200, verbose_name='source')),
                ('added_on', models.DateField(default=django.utils.timezone.localdate, verbose_name='added on')),
                ('notes', models.CharField(blank=True, max_length=500, verbose_name='notes')),
                ('added_by', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='added by')),
            ],
            options={
                'verbose_name': 'do-not-call number',
                'verbose_name_plural': 'do-not-call list',
                'ordering': ['-added_on', '-id'],
            },
        ),
        migrations.CreateModel(
            name='CampaignCall',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name='created')),
                ('updated_at', models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name='updated')),
                ('version', models.PositiveIntegerField(default=1, editable=False, verbose_name='version')),
                ('custom', models.JSONField(blank=True, default=dict, editable=False, verbose_name='custom fields')),
                ('phone', kesher.platform.fields.PhoneField(blank=True, max_length=20, verbose_name='phone number')),
                ('position', models.PositiveIntegerField(default=0, verbose_name='order')),
                ('status', models.CharField(choices=[('pending', 'to call'), ('done', 'done'), ('refused', 'skipped: refused calls'), ('do_not_call', 'skipped: on the do-not-call list')], default='pending', max_length=12, verbose_name='status')),
                ('callback_at', models.DateTimeField(blank=True, null=True, verbose_name='call back at')),
                ('attempts', models.PositiveIntegerField(default=0, verbose_name='calls made')),
                ('opened_at', models.DateTimeField(blank=True, null=True, verbose_name='last opened')),
                ('called_at', models.DateTimeField(blank=True, null=True, verbose_name='last outcome logged')),
                ('notes', models.TextField(blank=True, max_length=5000, verbose_name='notes')),
                ('agent', models.ForeignKey(blank=True, db_index=False, limit_choices_to={'is_active': True}, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='campaign_calls', to=settings.AUTH_USER_MODEL, verbose_name='agent')),
                ('campaign', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='calls', to='marketing.campaign', verbose_name='campaign')),
                ('contact', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='campaign_calls', to='customers.contact', verbose_name='contact')),
                ('interaction', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='activities.interaction', verbose_name='interaction')),
                ('lead', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='campaign_calls', to='sales.lead', verbose_name='lead')),
                ('new_deal', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='sales.opportunity', verbose_name='deal it brought')),
                ('new_lead', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='sales.lead', verbose_name='lead it brought')),
                ('outcome', models.ForeignKey(blank=True, limit_choices_to={'active': True, 'list_key': 'call_outcome'}, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='platform.choice', verbose_name='outcome')),
            ],
            options={
                'verbose_name': 'campaign call',
                'verbose_name_plural': 'campaign calls',
                'ordering': ['campaign', 'agent', 'position', 'id'],
                'indexes': [models.Index(fields=['agent', 'campaign', 'position'], name='campaign_call_agent'), models.Index(fields=['campaign', 'status', 'outcome'], name='campaign_call_progress'), models.Index(fields=['phone'], name='campaign_call_phone')],
                'constraints': [models.UniqueConstraint(condition=models.Q(('contact__isnull', False)), fields=('campaign', 'contact'), name='campaign_call_once_contact'), models.UniqueConstraint(condition=models.Q(('lead__isnull', False)), fields=('campaign', 'lead'), name='campaign_call_once_lead')],
            },
        ),
        migrations.RunPython(create_defaults, migrations.RunPython.noop),
    ]

"""A customer rating on accounts — A, B, C, an admin-editable pick-list — that orders the reps'
work lists (REQ TK-8)."""

import django.db.models.deletion
from django.db import migrations, models

RATINGS = [  # value, Hebrew, English, colour
    ("a", "A — לקוח מרכזי", "A — key customer", "danger"),
    ("b", "B — לקוח חשוב", "B — important customer", "warning"),
    ("c", "C — לקוח רגיל", "C — regular customer", "secondary"),
]


def create_ratings(apps, schema_editor):
    Choice = apps.get_model("platform", "Choice")
    for order, (value, label_he, label_en, colour) in enumerate(RATINGS):
        Choice.objects.get_or_create(
            list_key="account_rating",
            value=value,
            defaults={"label_he": label_he, "label_en": label_en, "order": order, "colour": colour},
        )


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0010_account_region'),
        ('platform', '0013_search_phone_once'),
    ]

    operations = [
        migrations.AddField(
            model_name='account',
            name='rating',
            field=models.ForeignKey(blank=True, limit_choices_to={'active': True, 'list_key': 'account_rating'}, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='platform.choice', verbose_name='customer rating', db_index=False),
        ),
        migrations.AddIndex(
            model_name='account',
            index=models.Index(fields=['rating', 'last_contact_at', 'id'], name='account_rating_contact'),
        ),
        migrations.RunPython(create_ratings, migrations.RunPython.noop),
    ]

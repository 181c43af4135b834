"""The board's count and sum by stage from the index alone: the amount joins the index its
cards are read by (bench/sales.py, issue 15; decision 0059: no index of its own)."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0009_only_needed_indexes'),
        ('platform', '0013_search_phone_once'),
        ('sales', '0007_opportunity_closed_at'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='opportunity',
            name='opp_stage_entered',
        ),
        migrations.AddIndex(
            model_name='opportunity',
            index=models.Index(fields=['stage', 'stage_entered_at', 'id', 'amount'], name='opp_stage_entered'),
        ),
    ]

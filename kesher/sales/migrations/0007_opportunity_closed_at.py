"""When a deal was won or lost (``closed_at``); deals already won or lost get the moment they
entered their stage — the closest the stored data says (a deal moved on from "won" to "in
work" counts from "in work")."""

from django.db import migrations, models
from django.db.models import F


def backfill(apps, schema_editor):
    Opportunity = apps.get_model("sales", "Opportunity")
    # One statement, whatever the number of deals.
    Opportunity.objects.filter(stage__outcome__in=["won", "lost"]).update(
        closed_at=F("stage_entered_at")
    )


class Migration(migrations.Migration):

    dependencies = [
        ('sales', '0006_lead_name_indexes'),
    ]

    operations = [
        migrations.AddField(
            model_name='opportunity',
            name='closed_at',
            field=models.DateTimeField(blank=True, editable=False, help_text='When the deal was won or lost; empty while it is open.', null=True, verbose_name='closed'),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]

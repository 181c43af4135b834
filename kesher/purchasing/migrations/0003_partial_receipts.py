"""Purchase orders received in parts (decision 0092): each line keeps its received quantity.
An order received before this was received whole: its lines are received in full."""

from decimal import Decimal

from django.db import migrations, models
from django.db.models import F


def received_in_full(apps, schema_editor):
    Line = apps.get_model("purchasing", "PurchaseOrderLine")
    Line.objects.filter(order__status="received").update(received=F("quantity"))


class Migration(migrations.Migration):
    dependencies = [
        ("purchasing", "0002_defaults"),
    ]

    operations = [
        migrations.AddField(
            model_name="purchaseorderline",
            name="received",
            field=models.DecimalField(
                decimal_places=3,
                default=Decimal("0"),
                editable=False,
                max_digits=12,
                verbose_name="received",
            ),
        ),
        migrations.AlterField(
            model_name="purchaseorder",
            name="status",
            field=models.CharField(
                choices=[
                    ("draft", "Draft"),
                    ("ordered", "Ordered"),
                    ("partial", "Partly received"),
                    ("received", "Received"),
                ],
                default="draft",
                editable=False,
                max_length=10,
                verbose_name="status",
            ),
        ),
        migrations.RunPython(received_in_full, migrations.RunPython.noop),
    ]

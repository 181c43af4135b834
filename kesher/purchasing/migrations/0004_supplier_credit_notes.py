"""Supplier credit notes (decision 0092): a supplier document's kind, the invoice a credit note
corrects, each credit line's source line, and what an invoice's recorded credit notes credit.
Old documents are invoices credited by nothing. The built-in expense reports count invoices
only: a credit note is no expense."""

from decimal import Decimal

import django.db.models.deletion
from django.db import migrations, models

RECORDED = {"field": "status", "op": "eq", "value": "recorded"}
INVOICES = {"all": [RECORDED, {"field": "kind", "op": "eq", "value": "invoice"}]}
REPORTS = ("הוצאות לפי חודש", "הוצאות לפי חודש וסוג הוצאה")


def expenses_are_invoices(apps, schema_editor):
    Report = apps.get_model("reports", "Report")
    for report in Report.objects.filter(name__in=REPORTS, owner=None, entity="supplier-invoices"):
        if report.definition.get("filter") == RECORDED:
            report.definition = {**report.definition, "filter": INVOICES}
            report.save(update_fields=["definition"])


class Migration(migrations.Migration):
    dependencies = [
        ("purchasing", "0003_partial_receipts"),
        ("reports", "0002_defaults"),
    ]

    operations = [
        migrations.AddField(
            model_name="supplierinvoice",
            name="credited",
            field=models.DecimalField(
                decimal_places=2,
                default=Decimal("0"),
                editable=False,
                max_digits=14,
                verbose_name="credited",
            ),
        ),
        migrations.AddField(
            model_name="supplierinvoice",
            name="credited_invoice",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                help_text="The supplier invoice a credit note corrects.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="credit_notes",
                to="purchasing.supplierinvoice",
                verbose_name="credits invoice",
            ),
        ),
        migrations.AddField(
            model_name="supplierinvoice",
            name="kind",
            field=models.CharField(
                choices=[("invoice", "Supplier invoice"), ("credit_note", "Supplier credit note")],
                default="invoice",
                editable=False,
                max_length=12,
                verbose_name="document type",
            ),
        ),
        migrations.AddField(
            model_name="supplierinvoiceline",
            name="source_line",
            field=models.PositiveIntegerField(
                blank=True,
                help_text="On a credit note: the credited invoice's line.",
                null=True,
                verbose_name="credits line",
            ),
        ),
        migrations.RunPython(expenses_are_invoices, migrations.RunPython.noop),
    ]

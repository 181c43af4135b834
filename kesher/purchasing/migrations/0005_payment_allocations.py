"""One supplier payment over several invoices (decision 0092): what each invoice takes of it
(allocations), what it allocated in all, and the one invoice it names only when it pays that
one whole. A payment made before this paid its invoice whole: one allocation of its amount."""

import django.core.validators
import django.db.models.deletion
from decimal import Decimal
from django.db import migrations, models
from django.db.models import F


def allocated_whole(apps, schema_editor):
    Payment = apps.get_model("purchasing", "SupplierPayment")
    Allocation = apps.get_model("purchasing", "SupplierPaymentAllocation")
    rows = Payment.objects.exclude(invoice=None).values_list("pk", "invoice_id", "amount")
    Allocation.objects.bulk_create(
        Allocation(payment_id=pk, invoice_id=invoice, amount=amount)
        for pk, invoice, amount in rows.iterator(chunk_size=2000)
    )
    Payment.objects.exclude(invoice=None).update(allocated=F("amount"))


class Migration(migrations.Migration):
    dependencies = [
        ("purchasing", "0004_supplier_credit_notes"),
    ]

    operations = [
        migrations.AddField(
            model_name="supplierpayment",
            name="allocated",
            field=models.DecimalField(
                decimal_places=2,
                default=Decimal("0"),
                editable=False,
                max_digits=14,
                verbose_name="allocated to invoices",
            ),
        ),
        migrations.AlterField(
            model_name="supplierpayment",
            name="invoice",
            field=models.ForeignKey(
                blank=True,
                help_text="The one invoice the whole payment pays; empty: allocated over several invoices, or an open credit.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="payments",
                to="purchasing.supplierinvoice",
                verbose_name="supplier invoice",
            ),
        ),
        migrations.CreateModel(
            name="SupplierPaymentAllocation",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "amount",
                    models.DecimalField(
                        decimal_places=2,
                        max_digits=14,
                        validators=[django.core.validators.MinValueValidator(Decimal("0.01"))],
                        verbose_name="amount",
                    ),
                ),
                (
                    "invoice",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="allocations",
                        to="purchasing.supplierinvoice",
                        verbose_name="supplier invoice",
                    ),
                ),
                (
                    "payment",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="allocations",
                        to="purchasing.supplierpayment",
                    ),
                ),
            ],
            options={
                "verbose_name": "payment allocation",
                "verbose_name_plural": "payment allocations",
                "ordering": ["payment", "id"],
                "constraints": [
                    models.UniqueConstraint(fields=("payment", "invoice"), name="suppay_alloc_once")
                ],
            },
        ),
        migrations.RunPython(allocated_whole, migrations.RunPython.noop),
    ]

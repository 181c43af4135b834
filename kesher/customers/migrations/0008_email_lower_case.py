"""E-mail addresses are stored in lower case (issue 14 item 7): the field lower-cases what it
writes from now on, and the addresses stored before are lower-cased here. The column itself does
not change (state only: no table is rebuilt)."""

from django.db import migrations
from django.db.models import Q
from django.db.models.functions import Lower

import kesher.platform.fields


def lower_case_emails(apps, schema_editor):
    """One read of the addresses with capitals (the database's LOWER finds them), one update
    each: they are few beside the records."""
    for name in ("Account", "Contact"):
        model = apps.get_model("customers", name)
        rows = model._base_manager.filter(~Q(email=Lower("email"))).values_list("pk", "email")
        for pk, email in list(rows):
            model._base_manager.filter(pk=pk).update(email=email.lower())


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0007_updated_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="account",
                    name="email",
                    field=kesher.platform.fields.LowercaseEmailField(
                        blank=True, db_index=True, max_length=254, verbose_name="email"
                    ),
                ),
                migrations.AlterField(
                    model_name="contact",
                    name="email",
                    field=kesher.platform.fields.LowercaseEmailField(
                        blank=True, db_index=True, max_length=254, verbose_name="email"
                    ),
                ),
            ]
        ),
        migrations.RunPython(lower_case_emails, migrations.RunPython.noop, elidable=False),
    ]

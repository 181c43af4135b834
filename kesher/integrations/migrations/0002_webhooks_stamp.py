"""The stamp whose token every change of a webhook subscription replaces: whether any webhook
is active is cached per process until then, instead of for 30 seconds."""

from django.db import migrations


def add_stamp(apps, schema_editor):
    apps.get_model("platform", "SchemaStamp").objects.get_or_create(
        name="webhooks", defaults={"token": "initial"}
    )


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0001_initial"),
        ("platform", "0008_schema_stamp"),
    ]

    operations = [migrations.RunPython(add_stamp, migrations.RunPython.noop)]

"""The stamp whose token every change of a webhook subscription replaces: whether any webhook
is active is cached per process until then, instead of for 30 seconds."""

from django.db import migrations

from kesher.platform import stamps


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0001_initial"),
        ("platform", "0008_schema_stamp"),
    ]

    operations = [stamps.seeding("webhooks")]

"""The stamp whose token every change of an approval process replaces (decision 0038): the list
of entities with processes is cached per process until then, instead of for 60 seconds."""

from django.db import migrations

from kesher.platform import stamps


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0002_grants"),
        ("platform", "0008_schema_stamp"),
    ]

    operations = [stamps.seeding("approvals")]

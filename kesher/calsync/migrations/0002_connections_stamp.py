"""The stamp a connection made, switched on or off, or removed renews, so a meeting's write
asks the database whether anyone syncs a calendar once per process (``any_active_connection``;
kesher/platform/stamps.py)."""

from django.db import migrations

from kesher.platform import stamps


class Migration(migrations.Migration):
    dependencies = [("calsync", "0001_initial"), ("platform", "0013_search_phone_once")]
    operations = [stamps.seeding("calsync")]

"""The stamp a change of extensions or phone systems renews, so every process's pages know
who gets the screen pop without a query a page (kesher/platform/stamps.py)."""

from django.db import migrations

from kesher.platform import stamps


class Migration(migrations.Migration):
    dependencies = [("telephony", "0001_initial"), ("platform", "0013_search_phone_once")]
    operations = [stamps.seeding("telephony")]

"""The stamp every change to a kind of record renews, so each process reloads the kinds
(kesher/platform/stamps.py)."""

from django.db import migrations

from kesher.platform import stamps


class Migration(migrations.Migration):
    dependencies = [("objects", "0001_initial"), ("platform", "0013_search_phone_once")]
    operations = [stamps.seeding("objects")]

"""The stamp a change of a business calendar renews, so every process reads the calendars once
until one changes (``calendar_of``; kesher/platform/stamps.py)."""

from django.db import migrations

from kesher.platform import stamps


class Migration(migrations.Migration):
    dependencies = [("activities", "0010_notification_link"), ("platform", "0013_search_phone_once")]
    operations = [stamps.seeding("calendars")]

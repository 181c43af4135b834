"""The stamp a change of the sales settings renews, so every process reads them once until they
change (``SalesSettings.current``; kesher/platform/stamps.py)."""

from django.db import migrations

from kesher.platform import stamps


class Migration(migrations.Migration):
    dependencies = [("sales", "0011_target_product_group"), ("platform", "0013_search_phone_once")]
    operations = [stamps.seeding("sales_settings")]

"""Israel's districts and abroad as the regions every new Kesher starts with, and the built-in
roles' right to read them; administrators change both as data afterwards (REQ SA-12, OR-3)."""

from django.db import migrations

from kesher.org.grants import apply_grants

REGIONS = [  # Hebrew, English
    ("צפון", "North"),
    ("חיפה", "Haifa"),
    ("מרכז", "Center"),
    ("תל אביב", "Tel Aviv"),
    ("ירושלים", "Jerusalem"),
    ("דרום", "South"),
    ("יהודה ושומרון", "Judea and Samaria"),
    ('חו"ל', "Abroad"),
]

READ = (True, False, False, False, "all")
GRANTS = {
    role: {"regions": READ} for role in ("manager", "sales_rep", "support_agent", "read_only")
}


def create_regions(apps, schema_editor):
    Region = apps.get_model("org", "Region")
    if not Region.objects.exists():
        Region.objects.bulk_create(
            Region(name_he=he, name_en=en, order=(order + 1) * 10)
            for order, (he, en) in enumerate(REGIONS)
        )
    apply_grants(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [("org", "0004_regions")]
    operations = [migrations.RunPython(create_regions, migrations.RunPython.noop)]

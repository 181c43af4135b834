"""The sales settings' one row (forecasting off, targets measured by won deals) and the built-in
roles' rights on targets: a rep reads his own, a manager manages his department's
(REQ SA-7, RE-2, OR-3)."""

from django.db import migrations

from kesher.org.grants import apply_grants

GRANTS = {
    "manager": {
        "sales-targets": (True, True, True, True, "department"),
    },
    "sales_rep": {
        "sales-targets": (True, False, False, False, "own"),
    },
    "read_only": {"sales-targets": (True, False, False, False, "all")},
}


def create_defaults(apps, schema_editor):
    SalesSettings = apps.get_model("sales", "SalesSettings")
    if not SalesSettings.objects.exists():
        SalesSettings.objects.create()
    apply_grants(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("sales", "0004_targets_regions_forecast_categories"),
        ("org", "0005_default_regions"),
    ]
    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]

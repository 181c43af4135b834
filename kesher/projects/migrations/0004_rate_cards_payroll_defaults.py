"""Who sees and sets the rate cards and the payroll rules — team managers see both and set the
rate cards; the administrator gives others the right as data — and the payroll rule of
Israel's Hours of Work and Rest Law for a five-day week (REQ PR-4, OR-3)."""

import datetime
from decimal import Decimal

from django.db import migrations

from kesher.org.grants import apply_grants

GRANTS = {  # role key: {entity: (view, add, change, delete, scope)}
    "manager": {
        "rate-cards": (True, True, True, True, "all"),
        "payroll-rules": (True, False, False, False, "all"),
    },
}


def create_defaults(apps, schema_editor):
    PayrollRule = apps.get_model("projects", "PayrollRule")
    if not PayrollRule.objects.exists():
        PayrollRule.objects.create(
            name="חוק שעות עבודה ומנוחה — שבוע של חמישה ימים",
            valid_from=datetime.date(2000, 1, 1),
            daily_hours=Decimal("8.6"),
            first_overtime_hours=Decimal("2"),
            first_overtime_percent=125,
            further_overtime_percent=150,
            rest_day_percent=150,
        )
    apply_grants(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [("projects", "0003_rate_cards_payroll_rules"), ("org", "0002_default_roles")]
    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]

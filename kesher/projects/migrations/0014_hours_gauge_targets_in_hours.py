"""A gauge of a length of time takes its target in hours from now on (decision 0122): the
targets saved before, in the figure's stored minutes, are turned into hours so that each gauge
keeps its meaning. Only reports' own data; a target from the sales targets is left alone."""

from decimal import Decimal

from django.db import migrations

# entity → its fields that hold minutes (``Entity.durations``, decision 0116).
DURATIONS = {"time-entries": {"minutes"}, "interactions": {"duration_minutes"}}
AGGREGATES = {"sum", "avg", "min", "max"}


def _in_minutes(definition) -> bool:
    if not isinstance(definition, dict):
        return False
    target = definition.get("target")
    if isinstance(target, bool) or not isinstance(target, int | float | str) or target == "":
        return False
    measures = definition.get("measures") or []
    if not measures or not isinstance(measures[0], dict):
        return False
    first = measures[0]
    fields = DURATIONS.get(definition.get("entity"), set())
    return first.get("agg") in AGGREGATES and first.get("field") in fields


def _convert(apps, divide: bool) -> None:
    Report = apps.get_model("reports", "Report")
    for report in Report.objects.filter(definition__has_key="target").iterator():
        definition = report.definition
        if not _in_minutes(definition):
            continue
        try:
            target = Decimal(str(definition["target"]))
        except ArithmeticError:
            continue
        target = target / 60 if divide else target * 60
        definition["target"] = float(target.quantize(Decimal("0.0001")).normalize())
        Report.objects.filter(pk=report.pk).update(definition=definition)


def to_hours(apps, schema_editor):
    _convert(apps, divide=True)


def to_minutes(apps, schema_editor):
    _convert(apps, divide=False)


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0013_absences_and_payroll_export"),
        ("reports", "0006_finance_and_stock"),
    ]
    operations = [migrations.RunPython(to_hours, to_minutes)]

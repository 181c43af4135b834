"""The interaction kind of a customer's message written in the portal: what the staff see on
the ticket's page for it (decision 0079); administrators may rename it as any pick-list value."""

from django.db import migrations


def create_kind(apps, schema_editor):
    Choice = apps.get_model("platform", "Choice")
    last = Choice.objects.filter(list_key="interaction_kind").order_by("-order").first()
    Choice.objects.get_or_create(
        list_key="interaction_kind",
        value="portal",
        defaults={
            "label_he": "הודעה בפורטל",
            "label_en": "Portal message",
            "order": (last.order + 1) if last else 0,
        },
    )


def remove_kind(apps, schema_editor):
    Choice = apps.get_model("platform", "Choice")
    Choice.objects.filter(list_key="interaction_kind", value="portal").delete()


class Migration(migrations.Migration):
    dependencies = [("portal", "0001_initial"), ("activities", "0002_defaults")]

    operations = [migrations.RunPython(create_kind, remove_kind)]

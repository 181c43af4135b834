"""Bulk "add/remove a tag" becomes "add/remove a link" on any many-to-many field (issue 14
item 2): the jobs stored with the old actions are rewritten, so a queued one still runs after
the upgrade and a finished one still reads as what it did. Tags were always the ``tags``
field."""

from django.db import migrations, models

OLD_TO_NEW = {"add_tag": "add_link", "remove_tag": "remove_link"}


def to_links(apps, schema_editor):
    BulkJob = apps.get_model("platform", "BulkJob")
    for job in BulkJob.objects.filter(action__in=OLD_TO_NEW):
        params = job.params if isinstance(job.params, dict) else {}
        job.action = OLD_TO_NEW[job.action]
        job.params = {"field": "tags", "value": params.get("tag")}
        job.save(update_fields=["action", "params"])


def to_tags(apps, schema_editor):
    BulkJob = apps.get_model("platform", "BulkJob")
    new_to_old = {new: old for old, new in OLD_TO_NEW.items()}
    for job in BulkJob.objects.filter(action__in=new_to_old, params__field="tags"):
        job.action = new_to_old[job.action]
        job.params = {"tag": job.params.get("value")}
        job.save(update_fields=["action", "params"])


class Migration(migrations.Migration):
    dependencies = [
        ("platform", "0010_field_labels"),
    ]

    operations = [
        migrations.AlterField(
            model_name="bulkjob",
            name="action",
            field=models.CharField(
                choices=[
                    ("update", "Update a field"),
                    ("assign_owner", "Assign an owner"),
                    ("add_link", "Add a link"),
                    ("remove_link", "Remove a link"),
                    ("delete", "Delete"),
                ],
                max_length=20,
                verbose_name="action",
            ),
        ),
        migrations.RunPython(to_links, to_tags),
    ]

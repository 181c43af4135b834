"""The full export's jobs move here from the dedupe app: the model's state moves, its table and
rows stay and are renamed (issue "Platform v2" item 4; nothing lost on upgrade)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def move_content_type(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label="operations", model="dataexport").exists():
        ContentType.objects.filter(app_label="dedupe", model="dataexport").update(
            app_label="operations"
        )


def restore_content_type(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="operations", model="dataexport").update(
        app_label="dedupe"
    )


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("dedupe", "0002_dataexport"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="DataExport",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("queued", "queued"),
                                    ("running", "running"),
                                    ("done", "done"),
                                    ("failed", "failed"),
                                ],
                                default="queued",
                                max_length=10,
                                verbose_name="status",
                            ),
                        ),
                        ("total", models.PositiveBigIntegerField(default=0, verbose_name="records")),
                        (
                            "done",
                            models.PositiveBigIntegerField(default=0, verbose_name="records written"),
                        ),
                        ("file_name", models.CharField(blank=True, max_length=200, verbose_name="file")),
                        ("size", models.PositiveBigIntegerField(default=0, verbose_name="size")),
                        ("counts", models.JSONField(default=dict, verbose_name="records per file")),
                        ("error", models.TextField(blank=True, verbose_name="error")),
                        (
                            "created_at",
                            models.DateTimeField(
                                default=django.utils.timezone.now, verbose_name="created"
                            ),
                        ),
                        ("started_at", models.DateTimeField(blank=True, null=True, verbose_name="started")),
                        (
                            "finished_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="finished"),
                        ),
                        (
                            "actor",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="started by",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "data export",
                        "verbose_name_plural": "data exports",
                        "ordering": ["-created_at", "-pk"],
                        "db_table": "dedupe_dataexport",
                    },
                ),
            ],
        ),
        # The table takes this app's name; its rows stay.
        migrations.AlterModelTable(name="dataexport", table=None),
        migrations.RunPython(move_content_type, restore_content_type),
    ]

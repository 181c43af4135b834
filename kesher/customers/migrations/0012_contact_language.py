"""A contact's language is a field of his (issue 18: the language e-mails to him are written in),
where an administrator's "language" custom field held it before: the values it held ("he" or
"en") are copied into the field, by one update per language; the custom value stays where it
was (the custom field is the administrator's to delete)."""

from django.db import migrations, models


def copy_custom_language(apps, schema_editor):
    contact = apps.get_model("customers", "Contact")
    for language in ("he", "en"):
        contact._base_manager.filter(custom__language=language, language="").update(
            language=language
        )


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0011_account_rating"),
    ]

    operations = [
        migrations.AddField(
            model_name="contact",
            name="language",
            field=models.CharField(
                blank=True,
                choices=[("he", "עברית"), ("en", "English")],
                help_text="The language e-mails to him are written in; empty: Hebrew.",
                max_length=2,
                verbose_name="language",
            ),
        ),
        migrations.RunPython(copy_custom_language, migrations.RunPython.noop, elidable=False),
    ]

"""Migration operations shared by the apps.

``without_column_index`` stops indexing one column on its own (issue 26: a composite index that
leads with the column already answers its lookups). Django would rebuild a whole SQLite table to
alter the field — minutes for millions of rows — although only an index goes: the model state
changes through ``AlterField``, the database only loses the column's own indexes (on PostgreSQL
also the ``_like`` twin Django makes for text patterns)."""

from __future__ import annotations

from django.db import migrations

__all__ = ["without_column_index"]


def without_column_index(app_label: str, model_name: str, field_name: str, field):
    """``AlterField`` to ``field`` — the same field with ``db_index=False`` — done by dropping
    the column's single-column, non-unique indexes that the model does not declare itself."""

    def drop(apps, schema_editor):
        model = apps.get_model(app_label, model_name)
        meta = model._meta
        column = meta.get_field(field_name).column
        declared = {index.name for index in meta.indexes}
        connection = schema_editor.connection
        with connection.cursor() as cursor:
            constraints = connection.introspection.get_constraints(cursor, meta.db_table)
        for name, about in constraints.items():
            if (
                about["index"]
                and not about["unique"]
                and not about["primary_key"]
                and about["columns"] == [column]
                and name not in declared
            ):
                schema_editor.execute(f"DROP INDEX {schema_editor.quote_name(name)}")

    def restore(apps, schema_editor):
        model = apps.get_model(app_label, model_name)
        column = model._meta.get_field(field_name)
        schema_editor.execute(schema_editor._create_index_sql(model, fields=[column]))

    return migrations.SeparateDatabaseAndState(
        state_operations=[migrations.AlterField(model_name, field_name, field)],
        database_operations=[migrations.RunPython(drop, restore, elidable=False)],
    )

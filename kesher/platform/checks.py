"""System checks that keep the entity registry consistent."""

from django.core import checks


@checks.register()
def registry_fields_exist(app_configs, **kwargs):
    from kesher.platform.registry import registry

    errors = []
    for entity in registry.all():
        names = {f.name for f in entity.model._meta.get_fields()}
        for column in [*entity.list_columns, *entity.form_fields]:
            if column.split("__")[0] not in names:
                errors.append(
                    checks.Error(
                        f"{entity.key}: unknown field {column!r}",
                        id="kesher.E001",
                        obj=entity.model,
                    )
                )
    return errors

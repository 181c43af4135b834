"""Safe changes to what admins shape: custom-field definitions and pick-list values
(REQ CX-1, CX-4, CX-6; issue "Customization" item 8: changes never lose or corrupt data)."""

from __future__ import annotations

import re

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import connection, models, transaction
from django.db.models import ForeignObjectRel
from django.utils.translation import gettext as _

from kesher.platform.customfields.types import TYPES, type_of
from kesher.platform.models import Choice, CustomField
from kesher.platform.records.services import record_create, record_delete, record_update
from kesher.platform.registry import registry

__all__ = [
    "check_custom_field",
    "choice_create",
    "choice_delete",
    "choice_replacements",
    "choice_update",
    "custom_field_create",
    "custom_field_update",
    "values_failing_type",
]

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_LEVELS = 3


def check_custom_field(field: CustomField) -> None:
    """Model-level rules of a definition; run by ``full_clean`` in every write path."""
    errors: dict[str, str] = {}
    if field.key and not KEY_PATTERN.match(field.key):
        errors["key"] = _("Use lowercase English letters, digits and underscores, from a letter.")
    entity = registry.get(field.entity) if field.entity in registry else None
    if entity is not None and not entity.has_custom_fields:
        errors["entity"] = _("Records of this kind have no custom fields.")
    elif entity is not None and field.key:
        try:
            entity.model._meta.get_field(field.key)
            errors["key"] = _("The entity already has a built-in field with this key.")
        except FieldDoesNotExist:
            same = CustomField.objects.filter(entity=field.entity, key=field.key)
            if same.exclude(pk=field.pk).exists():
                errors["key"] = _("The entity already has a field with the key “%s”.") % field.key
    field_type = TYPES.get(field.type)
    if field_type is None:
        errors["type"] = _("Unknown field type.")
        raise ValidationError(errors)
    if field_type.choice_list and not field.choice_list:
        errors["choice_list"] = _("A pick-list field needs a pick-list.")
    if not field_type.choice_list and field.choice_list:
        errors["choice_list"] = _("Only pick-list fields have a pick-list.")
    if field.type == CustomField.Type.LINK and not field.link_entity:
        errors["link_entity"] = _("A link field needs the entity it links to.")
    if field.type != CustomField.Type.LINK and field.link_entity:
        errors["link_entity"] = _("Only link fields link to an entity.")
    if field.indexed and not field_type.indexable:
        errors["indexed"] = _("Fields of this type cannot be indexed.")
    circle = required_link_circle(field)
    if circle:
        errors["required"] = _(
            "Required links would go round in a circle (%(circle)s): no first record could "
            "ever be saved. Make one of these links optional."
        ) % {"circle": " → ".join(circle)}
    if field.parent_id:
        errors.update(_check_parent(field))
    if not errors and field.default not in (None, "", []) and not field.parent_id:
        from kesher.platform.customfields.values import clean_value

        try:
            field.default = clean_value(field, field.default)
        except ValidationError as exc:
            errors["default"] = " ".join(exc.messages)
    if errors:
        raise ValidationError(errors)


def required_link_circle(field: CustomField) -> list[str]:
    """The entities' names round a circle of required links ``field`` would close (an
    enrolment needs a course that needs an enrolment), or ``[]``. Each record of a circle
    would need another to exist first, so none could be saved."""
    if field.type != CustomField.Type.LINK or not (field.required and field.active):
        return []
    if not field.link_entity or not field.entity:
        return []
    edges: dict[str, set[str]] = {}
    others = CustomField.objects.filter(type=CustomField.Type.LINK, required=True, active=True)
    for entity, target in others.exclude(pk=field.pk).values_list("entity", "link_entity"):
        edges.setdefault(entity, set()).add(target)
    # The shortest way back from the linked entity to the field's own.
    came_from: dict[str, str | None] = {field.link_entity: None}
    queue = [field.link_entity]
    while queue and field.entity not in came_from:
        here = queue.pop(0)
        for there in sorted(edges.get(here, ())):
            if there not in came_from:
                came_from[there] = here
                queue.append(there)
    if field.entity not in came_from:
        return []
    path = [field.entity]
    node = came_from[field.entity] if field.entity != field.link_entity else None
    while node is not None:
        path.append(node)
        node = came_from[node]
    path.reverse()  # linked entity … field's entity
    keys = [field.entity, *path] if field.entity != field.link_entity else [field.entity] * 2
    return [str(registry.get(k).label_plural) if k in registry else k for k in keys]


def _check_parent(field: CustomField) -> dict[str, str]:
    parent = field.parent
    assert parent is not None  # checked only for a field with a parent
    if not type_of(field).choice_list or parent.type != CustomField.Type.CHOICE:
        return {"parent": _("Only a pick-list field can depend on another pick-list field.")}
    if parent.entity != field.entity:
        return {"parent": _("The parent field must belong to the same entity.")}
    levels = 1
    node: CustomField | None = parent
    while node is not None:
        if field.pk and node.pk == field.pk:
            return {"parent": _("A field cannot depend on itself.")}
        levels += 1
        node = node.parent
    if levels > MAX_LEVELS:
        return {"parent": _("Dependent fields go at most three levels deep.")}
    return {}


@transaction.atomic
def custom_field_create(*, actor, data: dict, m2m=None, values=()) -> CustomField:
    """Add a custom field to an entity; an indexed one gets its expression index.

    ``values`` (dicts of "value", "label_he", "label_en") become the values of its pick-list,
    written with it or not at all; the list is the one named, else a new one named after the
    field's key. Errors of the values are reported under "values", one line a value."""
    errors: dict[str, list] = {}
    list_key = data.get("choice_list") or (data.get("key") if values else "")
    if values and list_key:
        data = {**data, "choice_list": list_key}
        value_errors = _add_values(list_key, values, actor)
        if value_errors:
            errors["values"] = value_errors
    try:
        field = record_create("custom-fields", actor=actor, data=data, m2m=m2m)
    except ValidationError as exc:
        if errors and hasattr(exc, "error_dict"):
            raise ValidationError({**exc.message_dict, **errors}) from exc
        raise
    if errors:
        raise ValidationError(errors)
    if field.indexed:
        transaction.on_commit(lambda: ensure_index(field))
    return field


def _add_values(list_key: str, values, actor) -> list[str]:
    """Write ``values`` into the pick-list ``list_key`` after its last value; what is wrong
    with each, as "<value>: <message>"."""
    last = Choice.objects.filter(list_key=list_key).order_by("-order").first()
    order = last.order if last else 0
    errors = []
    for row in values:
        order += 10
        data = {
            "list_key": list_key,
            "value": row.get("value", ""),
            "label_he": row.get("label_he", ""),
            "label_en": row.get("label_en", ""),
            "order": order,
        }
        try:
            record_create("choices", actor=actor, data=data)
        except ValidationError as exc:
            name = row.get("value") or row.get("label_he") or "—"
            errors.append(f"{name}: {' '.join(_named(exc))}")
    return errors


def _named(exc: ValidationError) -> list[str]:
    """A pick-list value's errors, each after the name of its field ("Hebrew label: …")."""
    if not hasattr(exc, "error_dict"):
        return exc.messages
    lines = []
    for name, messages in exc.message_dict.items():
        try:
            label = str(Choice._meta.get_field(name).verbose_name)  # type: ignore[union-attr]
        except FieldDoesNotExist:
            lines += messages
            continue
        lines += [f"{label}: {message}" for message in messages]
    return lines


def values_failing_type(field: CustomField, new_type: str, limit: int = 20) -> list[tuple]:
    """Records whose stored value the new type would not accept: ``[(pk, value, error)]``."""
    from kesher.platform.customfields.values import clean_value

    entity = registry.get(field.entity)
    probe = CustomField(
        entity=field.entity,
        key=field.key,
        type=new_type,
        choice_list=field.choice_list,
        allow_free_text=field.allow_free_text,
        link_entity=field.link_entity,
    )
    failing = []
    rows = (
        # The default manager: a kind of record sharing its table reads only its own rows.
        entity.model._default_manager.filter(custom__has_key=field.key)
        .values_list("pk", "custom")
        .iterator(chunk_size=2000)
    )
    for pk, custom in rows:
        try:
            clean_value(probe, custom.get(field.key))
        except ValidationError as exc:
            failing.append((pk, custom.get(field.key), " ".join(exc.messages)))
            if len(failing) >= limit:
                break
    return failing


@transaction.atomic
def custom_field_update(field: CustomField, *, actor, data: dict, m2m=None, expected_version=None):
    """Change a definition. A new type is refused while stored values would not fit it,
    naming the records; deactivating keeps every stored value (REQ CX-1)."""
    new_type = data.get("type", field.type)
    if new_type != field.type:
        failing = values_failing_type(field, new_type)
        if failing:
            examples = ", ".join(f"#{pk} ({str(value)[:30]})" for pk, value, _e in failing[:10])
            raise ValidationError(
                {
                    "type": [
                        _("%(count)s records hold values the new type does not accept: %(list)s.")
                        % {"count": len(failing), "list": examples}
                    ]
                }
            )
    if "key" in data and data["key"] != field.key:
        raise ValidationError({"key": [_("The key of an existing field cannot change.")]})
    if "entity" in data and data["entity"] != field.entity:
        raise ValidationError({"entity": [_("A field cannot move to another entity.")]})
    was_indexed = field.indexed
    field = record_update(field, actor=actor, data=data, m2m=m2m)
    if field.indexed and not was_indexed:
        transaction.on_commit(lambda: ensure_index(field))
    elif was_indexed and not field.indexed:
        transaction.on_commit(lambda: drop_index(field))
    return field


# --- expression indexes -----------------------------------------------------------------------


def index_name(field: CustomField) -> str:
    return f"cf_{field.entity.replace('-', '_')}_{field.key}"[:60]


def _index(field: CustomField) -> models.Index:
    from kesher.platform.lists.filterlang import CustomValue

    return models.Index(CustomValue(field.key, type_of(field).filter_kind), name=index_name(field))


def ensure_index(field: CustomField) -> None:
    """Create the expression index that serves filters and sorting on this custom field.

    ``CREATE INDEX IF NOT EXISTS`` makes it safe to repeat; it is not a schema migration, so
    ``makemigrations`` stays clean and the index follows the admin's choice at run time.
    """
    model = registry.get(field.entity).model
    with connection.schema_editor(atomic=False) as editor:
        sql = str(_index(field).create_sql(model, editor))
        sql = sql.replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS", 1)
        editor.execute(sql)


def sort_index(entity_key: str, keyset) -> str | None:
    """The existing expression index of the custom field that leads ``keyset``'s order, if
    any (SQLite: the lists walk it when many rows match; ``Keyset.page``)."""
    if keyset is None or not keyset.nullable_lead or keyset.terms[0].custom_kind is None:
        return None
    if connection.vendor != "sqlite":
        return None
    from kesher.platform.customfields.values import definitions_for

    key = keyset.terms[0].name.removeprefix("custom.")
    field = next((d for d in definitions_for(entity_key) if d.key == key), None)
    if field is None or not field.indexed:
        return None
    with connection.cursor() as cursor:
        # The index follows the flag after commit (ensure_index), so ask SQLite itself.
        cursor.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = %s", [index_name(field)]
        )
        return index_name(field) if cursor.fetchone() else None


def drop_index(field: CustomField) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f'DROP INDEX IF EXISTS "{index_name(field)}"')


# --- pick-list values -------------------------------------------------------------------------


def _custom_usage(choice: Choice):
    """(field, queryset of records) for custom fields holding this value."""
    for field in CustomField.objects.filter(choice_list=choice.list_key):
        model = registry.get(field.entity).model
        if type_of(field).many:
            from kesher.platform.lists.filterlang import CustomHas

            rows = model._base_manager.filter(CustomHas(field.key, choice.value))
        else:
            rows = model._base_manager.filter(**{f"custom__{field.key}": choice.value})
        yield field, rows


def _settings(list_key: str, submitted, stored: dict, current: Choice | None) -> dict:
    """The value's settings as its list declares them (``picklists.py``); at most one value of
    a list is its default."""
    from kesher.platform.customfields.picklists import clean_settings, error_key

    settings = clean_settings(list_key, submitted, stored)
    if settings.get("default"):
        other = (
            Choice.objects.filter(list_key=list_key, extra__default=True)
            .exclude(pk=getattr(current, "pk", None))  # type: ignore[misc]  # None: a new value
            .first()
        )
        if other is not None:
            raise ValidationError(
                {
                    error_key("default"): [
                        _("%(value)s is already this list's default value.") % {"value": other}
                    ]
                }
            )
    return settings


def choice_create(*, actor, data: dict, m2m=None) -> Choice:
    """Add a value to a pick-list, with the settings its list declares (REQ CX-4)."""
    data = {**data, "extra": _settings(data.get("list_key") or "", data.get("extra"), {}, None)}
    return record_create("choices", actor=actor, data=data, m2m=m2m)


@transaction.atomic
def choice_update(choice: Choice, *, actor, data: dict, m2m=None, expected_version=None):
    """Change a pick-list value; ``extra`` changes only the settings it names (None removes
    one), each checked against the list's declaration."""
    if "extra" in data:
        # Lock the row: the settings sent are merged into those stored, which must not change
        # in between.
        stored = Choice.objects.select_for_update().get(pk=choice.pk).extra or {}
        list_key = data.get("list_key") or choice.list_key
        data = {**data, "extra": _settings(list_key, data["extra"], stored, choice)}
    return record_update(choice, actor=actor, data=data, m2m=m2m, expected_version=expected_version)


def choice_replacements(choice: Choice):
    """The values that can take a deleted value's place: the others of its list."""
    return Choice.objects.filter(list_key=choice.list_key).exclude(pk=choice.pk)


@transaction.atomic
def choice_delete(choice: Choice, *, actor, replacement: Choice | None = None) -> None:
    """Delete a pick-list value. A value still in use is refused unless a replacement value of
    the same list is given, which then takes its place everywhere (issue "Customization" 8)."""
    if replacement is not None:
        if replacement.list_key != choice.list_key or replacement.pk == choice.pk:
            raise ValidationError({"replacement": [_("Choose another value of the same list.")]})
        _replace_everywhere(choice, replacement, actor)
    in_use = [rows.exists() for _field, rows in _custom_usage(choice)]
    if any(in_use) or choice.children.exists():
        raise ValidationError(
            {"value": [_("This value is in use. Deactivate it, or give a replacement value.")]}
        )
    try:
        with transaction.atomic():
            record_delete(choice, actor=actor)
    except models.ProtectedError:
        raise ValidationError(
            {"value": [_("This value is in use. Deactivate it, or give a replacement value.")]}
        ) from None


def _replace_everywhere(choice: Choice, replacement: Choice, actor) -> None:
    # Hidden relations too: most pick-list foreign keys have no reverse name ("+").
    for relation in Choice._meta.get_fields(include_hidden=True):
        if (
            isinstance(relation, ForeignObjectRel)  # what the next two say; for the type checker
            and relation.one_to_many
            and relation.auto_created
            and relation.related_model is not Choice
        ):
            relation.related_model._base_manager.filter(**{relation.field.name: choice}).update(
                **{relation.field.name: replacement}
            )
    for field, rows in _custom_usage(choice):
        for record in rows.select_for_update().iterator(chunk_size=500):
            custom = dict(record.custom)
            if type_of(field).many:
                values = [replacement.value if v == choice.value else v for v in custom[field.key]]
                custom[field.key] = list(dict.fromkeys(values))
            else:
                custom[field.key] = replacement.value
            type(record)._base_manager.filter(pk=record.pk).update(custom=custom)

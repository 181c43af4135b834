"""Serializers generated from the registry: one per entity, custom fields included."""

from __future__ import annotations

import copy
import datetime
import operator
from functools import cached_property
from typing import Any, ClassVar

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject

from kesher.platform.access import pointable
from kesher.platform.records.many import scoped_many_fields, visible_related
from kesher.platform.registry import Entity, registry
from kesher.platform.visibility import hidden_fields

__all__ = ["EntitySerializer", "InstantField", "serializer_for", "shown_fields"]


class InstantField(serializers.DateTimeField):
    """A moment in the reader's time zone, as RFC 3339 writes it. Before 1918 Jerusalem kept
    local mean time, +02:20:54 — an offset in seconds no RFC 3339 reader accepts — so such a
    moment is written in UTC instead (``Z``)."""

    def to_representation(self, value):
        if value and not isinstance(value, str):
            local = self.enforce_timezone(value)
            offset = local.utcoffset()
            if offset is not None and offset.seconds % 60:
                return local.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")
        return super().to_representation(value)


class _Display(serializers.CharField):
    """The record's ``str()``. Given ``source="__str__"``, DRF inspects the bound method's
    signature on every row before calling it — a tenth of a 50-row page's time."""

    def get_attribute(self, instance):
        return str(instance)


class EntitySerializer(serializers.ModelSerializer):
    """Parses and renders; validation and the write itself belong to the entity's services."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: InstantField,
    }

    version = serializers.IntegerField(
        required=False,
        help_text="The version you read. A stale version answers 409 (or send If-Match).",
    )
    custom_fields = serializers.JSONField(
        source="custom",
        required=False,
        help_text=(
            'Custom-field values by key, e.g. {"region": "north", "score": 80}. On update '
            "only the keys sent change; send null to clear one. Errors come back under "
            '"custom_fields.<key>".'
        ),
    )
    display = _Display(read_only=True, help_text="The record's name as pages show it.")

    entity: Entity
    # The fields ModelSerializer built for the class, once (get_fields).
    _prototypes: ClassVar[dict[str, serializers.Field]]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        # A record may only point at records its author is allowed to see.
        for field in self.fields.values():
            target: Any = getattr(field, "child_relation", field)  # any field with a queryset
            queryset = getattr(target, "queryset", None)
            if queryset is not None and user is not None:
                target.queryset = pointable(queryset, user)
        # A pick-list field takes its entity's own list (one field may serve several kinds').
        for name, list_key in self.entity.choice_lists.items():
            choice: Any = self.fields.get(name)
            queryset = getattr(choice, "queryset", None)
            if queryset is not None:
                choice.queryset = queryset.filter(list_key=list_key)

    @cached_property
    def hidden_names(self) -> frozenset[str]:
        """The fields the request's user does not see: absent from what he reads, from what he
        may write and from the schema he is shown (decision 0047)."""
        request = self.context.get("request")
        return hidden_fields(self.entity, getattr(request, "user", None))

    def get_fields(self):
        # ModelSerializer introspects the model for every instance (a quarter of an API
        # create); the outcome depends only on the class, so it is built once and each
        # instance gets unbound copies of those fields.
        prototypes = type(self).__dict__.get("_prototypes")
        if prototypes is None:
            prototypes = super().get_fields()
            type(self)._prototypes = prototypes
        hidden = self.hidden_names
        return {name: _fresh(field) for name, field in prototypes.items() if name not in hidden}

    def build_standard_field(self, field_name, model_field):
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        # Model validators run in the service after normalization (a phone typed "052-..."
        # is valid once normalized); running them here on the raw text would reject it.
        kwargs.pop("validators", None)
        if issubclass(field_class, serializers.CharField):
            kwargs.pop("max_length", None)
            kwargs["trim_whitespace"] = False
        if (
            issubclass(field_class, serializers.ChoiceField)
            and kwargs.get("read_only")
            and model_field.blank
        ):
            # DRF leaves out allow_blank for a field the API cannot write, so the schema would
            # list only the choices while the record answers "" when none applies (issue 24).
            kwargs["allow_blank"] = True
        return field_class, kwargs

    def include_extra_kwargs(self, kwargs, extra_kwargs):
        # A read-only field's allow_blank is dropped here too; kept for a choice (above).
        blank_choice = "choices" in kwargs and kwargs.get("allow_blank")
        kwargs = super().include_extra_kwargs(kwargs, extra_kwargs)
        if blank_choice:
            kwargs["allow_blank"] = True
        return kwargs

    def get_validators(self):
        return []

    @classmethod
    def for_reading(cls, queryset, user):
        """``queryset`` with what this serializer reads of each record, for ``user`` (a mixin
        that adds fields prefetches their rows here: one query per page, not per record)."""
        return queryset

    def to_internal_value(self, data):
        from kesher.platform.records.services import clean_submitted

        # A key that is no field of the resource is a client's mistake (a typo would otherwise
        # drop the value silently): refuse it by name, like the services do.
        if hasattr(data, "keys"):
            unknown = sorted(set(data.keys()) - set(self.fields) - {"csrfmiddlewaretoken"})
            custom = data.get("custom_fields") if "custom_fields" in self.fields else None
            if isinstance(custom, dict) and self.hidden_names:
                # A custom field the caller does not see is unknown to him, like one that
                # does not exist (the service's own message for that).
                unknown += sorted(
                    f"custom_fields.{key}" for key in custom if f"custom.{key}" in self.hidden_names
                )
            if unknown:
                raise serializers.ValidationError({key: [_("Unknown field.")] for key in unknown})
        return super().to_internal_value(clean_submitted(data))

    def to_representation(self, instance):
        # A record just written (not read through the viewset's scoped prefetches) shows, too,
        # only the linked records the reader may see (issue "Platform v2" item 2).
        request = self.context.get("request")
        cache = instance.__dict__.setdefault("_prefetched_objects_cache", {})
        # Only the fields read off the model: a mixin's own field may bear a relation's name
        # (a contact's ``accounts``, with their roles) and reads its rows itself.
        built = [name for name in self.fields if name not in self._declared_fields]
        for field in scoped_many_fields(type(instance), built):
            if field.name not in cache:
                shown = field.related_model._base_manager.none()
                shown._result_cache = visible_related(
                    instance, field.name, getattr(request, "user", None)
                )
                shown._prefetch_done = True  # type: ignore[attr-defined]  # as prefetching sets it
                cache[field.name] = shown
        data = self._represent(instance)
        custom = data.get("custom_fields")
        if isinstance(custom, dict) and self.hidden_names:
            data["custom_fields"] = {
                key: value
                for key, value in custom.items()
                if f"custom.{key}" not in self.hidden_names
            }
        return data

    def _represent(self, instance) -> dict:
        """What DRF's ``Serializer.to_representation`` returns, with the plain columns read
        directly (``_readers``): DRF's field-by-field walk (``get_attribute`` through the
        source path, then ``to_representation``) was a quarter of a 50-row list's time."""
        data = {}
        for name, read, field in self._readers:
            if read is not None:
                data[name] = read(instance)
                continue
            try:
                attribute = field.get_attribute(instance)
            except SkipField:
                continue
            check = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
            data[name] = None if check is None else field.to_representation(attribute)
        return data

    @cached_property
    def _readers(self) -> list[tuple[str | None, Any, serializers.Field]]:
        """Each readable field with a direct reader where its value is a model column's as it
        is (text, whole numbers, a foreign key's id), else None (DRF's own path)."""
        return [
            (field.field_name, _direct_reader(self.entity.model, field), field)
            for field in self._readable_fields
        ]

    def _split(self, validated):
        validated.pop("version", None)
        m2m = {
            name: validated.pop(name)
            for name in list(validated)
            if isinstance(self.entity.model._meta.get_field(name), models.ManyToManyField)
        }
        return validated, m2m

    def create(self, validated_data):
        from kesher.platform.records.services import record_create

        data, m2m = self._split(validated_data)
        service = self.entity.create_service
        actor = self.context["request"].user
        if service is None:
            record = record_create(self.entity, actor=actor, data=data, m2m=m2m)
        else:
            record = service(actor=actor, data=data, m2m=m2m)
        if service is None or getattr(service, "bulk_compatible", False):
            _no_relations_but_sent(record, sent=m2m)
        return record

    def update(self, instance, validated_data):
        from kesher.platform.records.services import record_update

        expected = validated_data.get("version", self.context.get("expected_version"))
        data, m2m = self._split(validated_data)
        service = self.entity.update_service or record_update
        return service(
            instance,
            actor=self.context["request"].user,
            data=data,
            m2m=m2m,
            expected_version=expected,
        )


# Field classes whose representation of a column's value is ``str()`` or ``int()`` of it
# (exactly these classes: a subclass may say otherwise).
_AS_TEXT = (serializers.CharField, serializers.EmailField, serializers.URLField)
_AS_INTEGER = (serializers.IntegerField,)


def _direct_reader(model, field: serializers.Field):
    """A function reading ``field``'s representation straight off an instance of ``model``,
    or None where DRF's path is needed (a source through relations, a method, a format)."""
    if len(field.source_attrs) != 1:
        return None
    try:
        column = model._meta.get_field(field.source_attrs[0])
    except FieldDoesNotExist:
        return None
    kind = type(field)
    if column.many_to_many and kind is serializers.ManyRelatedField:
        return _many_ids_reader(column.name, field)
    if not getattr(column, "concrete", False) or column.many_to_many:
        return None
    attname = column.attname
    if kind is serializers.PrimaryKeyRelatedField and column.many_to_one:
        if getattr(field, "pk_field", None) is not None:
            return None
        if column.target_field != column.related_model._meta.pk:
            return None
        return operator.attrgetter(attname)
    if column.is_relation:
        return None
    if kind in _AS_TEXT:
        return lambda obj: None if (value := getattr(obj, attname)) is None else str(value)
    if kind in _AS_INTEGER:
        return lambda obj: None if (value := getattr(obj, attname)) is None else int(value)
    return None


def _many_ids_reader(name: str, field):
    """The ids of a many-to-many field's records from the rows prefetched (or put there by
    ``to_representation``): DRF's path makes a manager and clones its queryset per record."""
    child = field.child_relation
    if type(child) is not serializers.PrimaryKeyRelatedField or child.pk_field is not None:
        return None

    def read(obj):
        rows = obj.__dict__.get("_prefetched_objects_cache", {}).get(name)
        if rows is None:
            rows = getattr(obj, name).all()
        return [related.pk for related in rows]

    return read


def _no_relations_but_sent(record, *, sent: dict) -> None:
    """A record just made by ``record_create`` (alone, or with only a default owner added:
    ``bulk_compatible``) has no many-to-many rows but those the request sent, so the response
    shows the others empty without asking the database."""
    cache = record.__dict__.setdefault("_prefetched_objects_cache", {})
    for field in record._meta.many_to_many:
        if field.name not in sent and field.name not in cache:
            # As prefetching leaves it: the rows in hand, nothing left to compile or run.
            empty = field.related_model._base_manager.none()
            empty._result_cache, empty._prefetch_done = [], True
            cache[field.name] = empty


def _fresh(field: serializers.Field) -> serializers.Field:
    """An unbound copy of the prototype ``field``, cheap enough for every request: its
    arguments, choices and validators are shared (never changed after construction); what binding
    and the serializer set (name, parent, a scoped queryset) lands on the copy alone. A child
    field (a many-relation's, a list's) is bound to its parent when built, so it is copied and
    pointed at the copy."""
    fresh = copy.copy(field)
    for name in ("child_relation", "child"):
        child = field.__dict__.get(name)
        if isinstance(child, serializers.Field):
            copied = _fresh(child)
            copied.parent = fresh  # type: ignore[assignment]  # bound already, under the name "" it has in any parent
            setattr(fresh, name, copied)
    return fresh


# key -> (the Entity it was built for, its serializer): rebuilt for a new registration.
_cache: dict[str, tuple[Entity, type[EntitySerializer]]] = {}


def shown_fields(entity: Entity) -> list[str]:
    """Fields the entity's pages show (detail sections, list columns, filters) that its form
    does not edit: the API reads them too, read-only, so that it says all the pages know — a
    task's SLA due time and delegator, an account's last contact (issue "Platform v2" 10)."""
    shown = [name for section in entity.sections for name in section.fields]
    shown += [*entity.list_columns, *entity.filter_fields]
    result = []
    for name in dict.fromkeys(shown):
        if name in entity.form_fields:
            continue
        field = entity.model._meta.get_field(name)
        if getattr(field, "concrete", False) and not field.many_to_many:
            result.append(name)
    return result


def _component_name(entity: Entity) -> str:
    """The model's name, which the schema's components take; with its app's name in front where
    two registered entities' models share it (a plugin's Competitor beside sales'), else the
    schema would describe one as the other."""
    name = entity.model.__name__
    if sum(other.model.__name__ == name for other in registry.all()) > 1:
        return "".join(part.capitalize() for part in entity.model._meta.app_label.split("_")) + name
    return name


def serializer_for(entity: Entity) -> type[EntitySerializer]:
    cached = _cache.get(entity.key)
    if cached is None or cached[0] is not entity:
        model = entity.model
        extra = shown_fields(entity)
        fields = ["id", "display", *entity.form_fields, *extra, "created_at", "updated_at"]
        field_names = {f.name for f in model._meta.get_fields()}
        if "version" in field_names:
            fields.insert(1, "version")
        if entity.has_custom_fields:
            fields.append("custom_fields")
        fields = [f for f in fields if f in field_names or f in ("id", "display", "custom_fields")]
        read_only = [f for f in ("created_at", "updated_at") if f in field_names] + extra
        mixin = entity.serializer_mixin
        fields += [name for name in getattr(mixin, "_declared_fields", {}) if name not in fields]
        meta = type("Meta", (), {"model": model, "fields": fields, "read_only_fields": read_only})
        attrs = {"Meta": meta, "entity": entity}
        if "version" not in field_names:
            attrs["version"] = None
        if not entity.has_custom_fields:
            attrs["custom_fields"] = None
        bases = (EntitySerializer,) if mixin is None else (mixin, EntitySerializer)
        serializer = type(f"{_component_name(entity)}Serializer", bases, attrs)
        cached = _cache[entity.key] = (entity, serializer)
    return cached[1]

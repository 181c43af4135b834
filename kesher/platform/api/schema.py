"""The API's schema generator (drf-spectacular's, with what Kesher's fields need)."""

from django.core.exceptions import FieldDoesNotExist
from drf_spectacular.openapi import AutoSchema

__all__ = ["KesherAutoSchema"]


def _may_be_blank(field) -> bool:
    """Whether a read-only field answers "" when no value was given: its model field allows
    blank, but DRF drops ``allow_blank`` on read-only fields, so drf-spectacular (which
    declares "" beside the format of a field that allows blank) cannot tell."""
    if not getattr(field, "read_only", False) or getattr(field, "allow_blank", False):
        return False
    model = getattr(getattr(getattr(field, "parent", None), "Meta", None), "model", None)
    source = getattr(field, "source", "") or ""
    if model is None or not source or "." in source or source == "*":
        return False
    try:
        return bool(model._meta.get_field(source).blank)
    except FieldDoesNotExist:
        return False


class KesherAutoSchema(AutoSchema):
    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        # An address, e-mail or other formatted text that may be left empty: "" is no URI,
        # so the format alone would declare Kesher's own answers invalid (issue 24).
        if (
            isinstance(schema, dict)
            and schema.get("type") == "string"
            and "format" in schema
            and "enum" not in schema
            and _may_be_blank(field)
        ):
            schema["anyOf"] = [{"format": schema.pop("format")}, {"maxLength": 0}]
        return schema

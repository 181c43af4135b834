"""The API's schema generator (drf-spectacular's, with what Kesher's fields need)."""

from django.core.exceptions import FieldDoesNotExist
from drf_spectacular.openapi import AutoSchema

__all__ = ["KesherAutoSchema"]


def _may_be_blank(field) -> bool:
    """Whether the field answers "" when no value was given: a text field that allows blank,
    or a read-only one whose model field does (DRF drops ``allow_blank`` on read-only fields)."""
    if getattr(field, "allow_blank", False):
        return True
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

"""URL path converters of the platform's routes."""

from kesher.platform.registry import registry

__all__ = ["ApiFormatConverter", "EntityKeyConverter"]


class EntityKeyConverter:
    """A registered entity's key, checked when the URL is resolved: an entity registered while
    Kesher runs is routed at once, and any other word falls through to the next pattern."""

    regex = "[-a-z0-9_]+"

    def to_python(self, value: str) -> str:
        if value not in registry:
            raise ValueError(value)
        return value

    def to_url(self, value: str) -> str:
        return value


class ApiFormatConverter:
    """DRF's format suffix (``/api/v1/accounts.json``)."""

    regex = "[a-z0-9]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value

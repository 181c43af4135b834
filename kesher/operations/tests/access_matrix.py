"""The operations app's routes in the access matrix (tests/test_access_matrix.py): the full
export of all data is for administrators only."""

from kesher.operations.models import DataExport
from kesher.platform import access
from kesher.platform.testing.matrix import (
    Outcome,
    Verb,
    never_allowed,
    not_allowed,
    register_route,
    register_setup,
)


def administrators(world, principal):
    if not world.signed_in(principal):
        return Outcome.SIGN_IN
    return Outcome.ALLOW if access.is_admin(world.user(principal)) else Outcome.FORBIDDEN


def administrators_missing_file(world, principal):
    # The finished export of the matrix's world has no zip on this machine: 404 past the gate.
    outcome = administrators(world, principal)
    return Outcome.NOT_FOUND if outcome is Outcome.ALLOW else outcome


@register_setup
def data_export(world):
    world["data export"] = DataExport.objects.create(
        actor=world.users["admin"],
        status="done",
        total=3,
        done=3,
        file_name="kesher-export-matrix.zip",
    )


def _export_started(world, principal, marker) -> bool:
    return DataExport.objects.filter(status="queued").exists()


register_route("data-export", "/data-export/", Verb("GET", administrators))
register_route(
    "data-export",
    "/data-export/start/",
    Verb("POST", administrators, writes=_export_started),
    *(Verb(m, never_allowed) for m in ("GET", "PUT", "PATCH", "DELETE")),
)
register_route(
    "data-export",
    lambda world: f"/data-export/{world['data export'].pk}/",
    Verb("GET", administrators),
)
register_route(
    "data-export",
    lambda world: f"/data-export/{world['data export'].pk}/download/",
    Verb("GET", administrators_missing_file),
    what="a finished export whose zip is not on this machine",
)
register_route(
    "data-export-api",
    "/api/v1/data-exports/",
    Verb("GET", administrators),
    Verb("POST", administrators, writes=_export_started),
    *(Verb(m, not_allowed()) for m in ("PUT", "PATCH", "DELETE")),
    api=True,
)
register_route(
    "data-export-api",
    lambda world: f"/api/v1/data-exports/{world['data export'].pk}/",
    Verb("GET", administrators),
    *(Verb(m, not_allowed()) for m in ("POST", "PUT", "PATCH", "DELETE")),
    api=True,
)
register_route(
    "data-export-api",
    lambda world: f"/api/v1/data-exports/{world['data export'].pk}/download/",
    Verb("GET", administrators_missing_file),
    *(Verb(m, not_allowed()) for m in ("POST", "PUT", "PATCH", "DELETE")),
    api=True,
    what="a finished export whose zip is not on this machine",
)

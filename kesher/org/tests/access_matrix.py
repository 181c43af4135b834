"""Roles in the access matrix (tests/test_access_matrix.py; REQ OR-3): their pages and
``/api/v1/roles/`` are generated from the registry and granted to no role but the
administrator's; the rights page is for administrators only."""

from kesher.org.models import RolePermission
from kesher.org.services import role_create
from kesher.platform import access
from kesher.platform.testing.matrix import (
    SEARCH_WORD,
    Outcome,
    Verb,
    register_records,
    register_route,
)

register_records(
    "roles",
    make=lambda world, side: role_create(
        actor=world.users["admin"],
        data={"key": "matrix-role", "name_he": SEARCH_WORD, "name_en": "Matrix role"},
    ),
    values=lambda world, marker, record: {
        "key": record.key if record is not None else marker,
        "name_he": marker,
        "name_en": marker,
        "is_admin": False,
    },
    marker_field="name_he",
)


def administrators(world, principal):
    if not world.signed_in(principal):
        return Outcome.SIGN_IN
    return Outcome.ALLOW if access.is_admin(world.user(principal)) else Outcome.FORBIDDEN


def _granted(world, principal, marker) -> bool:
    return RolePermission.objects.filter(
        role=world.record("roles"), entity="accounts", can_view=True, scope="all"
    ).exists()


register_route(
    "org",
    lambda world: f"/org/roles/{world.record('roles').pk}/rights/",
    Verb("GET", administrators),
    Verb(
        "POST",
        administrators,
        data=lambda world, marker: {"accounts.view": "on", "accounts.scope": "all"},
        writes=_granted,
    ),
    what="the rights of a role",
)

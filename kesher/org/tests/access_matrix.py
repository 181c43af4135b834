"""Roles in the access matrix (tests/test_access_matrix.py; REQ OR-3): their pages and
``/api/v1/roles/`` are generated from the registry and granted to no role but the
administrator's; the rights page is for administrators only."""

from kesher.org.models import Role, RolePermission
from kesher.org.services import role_create, user_create
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


# Departments and companies need nothing their field types do not tell: their records are
# generated (kesher/platform/testing/contracts.py).
register_records(
    "users",
    make=lambda world, side: user_create(
        actor=world.users["admin"],
        data={
            "username": "matrix-target",
            "first_name": SEARCH_WORD,
            "last_name": "target",
            "email": "matrix-target@example.co.il",
            "role": Role.objects.get(key="read_only"),
        },
    ),
    values=lambda world, marker, record: {
        "username": marker,
        "first_name": marker,
        "last_name": "matrix",
        "email": f"{marker}@example.co.il",
        "role": Role.objects.get(key="read_only"),
        "language": "he",
        "time_zone": "Asia/Jerusalem",
        "is_active": True,
    },
    marker_field="first_name",
)

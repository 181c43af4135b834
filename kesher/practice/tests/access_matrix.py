"""The practice environment's routes in the access matrix (tests/test_access_matrix.py):
administrators only. Copies and deletions are queued on commit, which the matrix's rolled-back
requests never reach, so no database is copied or dropped here."""

from kesher.platform import access
from kesher.platform.testing.matrix import Outcome, Verb, never_allowed, not_allowed, register_route
from kesher.practice.models import PracticeEnvironment


def administrators(world, principal):
    if not world.signed_in(principal):
        return Outcome.SIGN_IN
    return Outcome.ALLOW if access.is_admin(world.user(principal)) else Outcome.FORBIDDEN


def _state_is(status: str):
    def check(world, principal, marker) -> bool:
        return PracticeEnvironment.objects.filter(status=status).exists()

    return check


register_route("practice", "/practice/", Verb("GET", administrators))
register_route(
    "practice",
    "/practice/copy/",
    Verb("POST", administrators, writes=_state_is("copying")),
    *(Verb(m, never_allowed) for m in ("GET", "PUT", "PATCH", "DELETE")),
)
register_route(
    "practice",
    "/practice/delete/",
    Verb("POST", administrators, writes=_state_is("deleting")),
    *(Verb(m, never_allowed) for m in ("GET", "PUT", "PATCH", "DELETE")),
)
register_route(
    "practice-api",
    "/api/v1/practice/",
    Verb("GET", administrators),
    Verb("POST", administrators, writes=_state_is("copying")),
    Verb("DELETE", administrators, writes=_state_is("deleting")),
    *(Verb(m, not_allowed()) for m in ("PUT", "PATCH")),
    api=True,
)

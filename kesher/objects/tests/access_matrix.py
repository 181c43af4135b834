"""The access matrix's view of custom objects (kesher/platform/testing/matrix.py): the
definitions are administrators' (no role is granted them), and so are the templates' pages.
The kinds the matrix defines are inactive, so they never join the registry of the run."""

from kesher.objects.schema import custom_object_create
from kesher.platform.testing.matrix import (
    SEARCH_WORD,
    Verb,
    not_allowed,
    register_records,
    register_route,
)

register_records(
    "custom-objects",
    make=lambda world, side: custom_object_create(
        actor=world.user("admin"),
        data={
            "key": f"kind-{side}",
            "name_he": f"{SEARCH_WORD} {side}",
            "plural_he": f"{SEARCH_WORD} {side}",
            # Inactive: the kind never enters the registry the other tests read.
            "active": False,
        },
    ),
    values=lambda world, marker, record: {
        "key": record.key if record is not None else f"kind-{abs(hash(marker)) % 10**8}",
        "name_he": marker,
        "plural_he": marker,
        "active": False,
    },
    marker_field="name_he",
)


def _administrators(world, principal):
    from kesher.platform import access
    from kesher.platform.testing.matrix import Outcome

    if not world.signed_in(principal):
        return Outcome.SIGN_IN
    return Outcome.ALLOW if access.is_admin(world.user(principal)) else Outcome.FORBIDDEN


def _installed(world, principal, marker):
    from kesher.objects.models import CustomObject

    return CustomObject.objects.filter(key="candidates").exists()


OTHER_VERBS = ("PUT", "PATCH", "DELETE")
register_route("pages", "/objects/templates/", Verb("GET", _administrators))
register_route(
    "pages",
    "/objects/templates/candidates/install/",
    Verb("POST", _administrators, writes=_installed),
    *(Verb(m, not_allowed()) for m in ("GET", *OTHER_VERBS)),
)

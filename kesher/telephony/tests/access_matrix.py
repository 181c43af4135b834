"""The telephony app's routes in the access matrix (tests/test_access_matrix.py). PBX connections
and extensions are entities (generated routes; administrators only, no role is granted them).
The webhook signs nobody in: every principal's unsigned request is refused (403) and writes
nothing. The stream and dialing need a signed-in user; dialing without an extension that dials
is refused (400)."""

from kesher.org.models import User
from kesher.platform.testing.matrix import (
    Outcome,
    Verb,
    never_allowed,
    not_allowed,
    register_records,
    register_route,
)
from kesher.telephony.models import PhoneExtension
from kesher.telephony.services import pbx_connection_create, phone_extension_create


def _refused(world, principal):
    return Outcome.FORBIDDEN


def _signed_in_refused(world, principal):
    return Outcome.REFUSED if world.signed_in(principal) else Outcome.SIGN_IN


def _stream(world, principal):
    return Outcome.ALLOW if world.signed_in(principal) else Outcome.SIGN_IN


def _connection_values(world, marker, record):
    return {
        "name": marker,
        "provider": "generic",
        "auth": "hmac",
        "secret": "matrix-secret-0123456789",
        "active": True,
    }


register_records(
    "pbx-connections",
    make=lambda world, side: pbx_connection_create(
        actor=world.users["admin"], data=_connection_values(world, "Matrix PBX", None)
    ),
    values=_connection_values,
    marker_field="name",
)


def _extension_values(world, marker, record):
    # Each user has one extension: a new one goes to a user without any, a changed one keeps
    # its user.
    if record is not None:
        user = record.user
    else:
        taken = set(PhoneExtension.objects.values_list("user_id", flat=True))
        free = [u for u in world.users.values() if u.pk not in taken]
        user = free[0] if free else User.objects.create_user(f"ext-{len(taken)}")
    return {
        "user": user.pk,
        "connection": world.record("pbx-connections").pk,
        "extension": marker[-30:],
        "dial_through_pbx": False,
    }


register_records(
    "phone-extensions",
    make=lambda world, side: phone_extension_create(
        actor=world.users["admin"],
        data={
            "user": world.users["manager"],
            "connection": world.record("pbx-connections"),
            "extension": "100",
        },
    ),
    values=_extension_values,
    marker_field="extension",
)

register_route(
    "telephony-api",
    "/api/v1/telephony/calls/",
    Verb("POST", _refused),
    *(Verb(m, never_allowed) for m in ("GET", "PUT", "PATCH", "DELETE")),
    api=True,
)
register_route(
    "telephony-api",
    "/api/v1/telephony/dial/",
    Verb("POST", _signed_in_refused, data=lambda world, marker: {"number": "0525551234"}),
    *(Verb(m, not_allowed()) for m in ("GET", "PUT", "PATCH", "DELETE")),
    api=True,
)
register_route("telephony", "/telephony/stream/", Verb("GET", _stream), api=True)
register_route(
    "telephony",
    "/telephony/dial/",
    Verb("POST", _signed_in_refused, data=lambda world, marker: {"number": "0525551234"}),
    *(Verb(m, never_allowed) for m in ("GET", "PUT", "PATCH", "DELETE")),
)

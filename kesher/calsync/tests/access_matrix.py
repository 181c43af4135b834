"""Calendar sync's routes in the access matrix (tests/test_access_matrix.py). Each signed-in user
has his own connection page and API (nobody reaches another's: there is no id in the URL); the
policy page and the policy's PUT are the administrators'; anyone signed in reads the policy."""

from kesher.calsync.models import CalendarConnection, ContactConnection, SyncPolicy
from kesher.platform import access
from kesher.platform.testing.matrix import Outcome, Verb, not_allowed, register_route, signed_in


def _administrators(world, principal):
    outcome = signed_in(world, principal)
    if outcome is Outcome.ALLOW and not access.is_admin(world.user(principal)):
        return Outcome.FORBIDDEN
    return outcome


def _signed_in_then(outcome):
    def expect(world, principal):
        gate = signed_in(world, principal)
        return outcome if gate is Outcome.ALLOW else gate

    return expect


def _connection(world, marker):
    return {"url": "https://caldav.example.com/dav/", "username": marker, "password": "pw-1"}


def _connected(world, principal, marker):
    return CalendarConnection.objects.filter(username=marker).exists()


def _book_connected(world, principal, marker):
    return ContactConnection.objects.filter(username=marker).exists()


def _policy_saved(world, principal, marker):
    return SyncPolicy.objects.filter(send_details=True).exists()


register_route(
    "calsync",
    "/calsync/",
    Verb("GET", signed_in),
    Verb(
        "POST",
        signed_in,
        data=lambda w, m: {**_connection(w, m), "action": "save"},
        writes=_connected,
    ),
    what="my calendar connection",
)
register_route(
    "calsync",
    "/calsync/policy/",
    Verb("GET", _administrators),
    Verb(
        "POST",
        _administrators,
        data=lambda w, m: {"enabled": "on", "send_details": "on"},
        writes=_policy_saved,
    ),
    what="the calendar sync policy",
)
register_route(
    "calsync",
    "/api/v1/calsync/connection/",
    Verb("GET", _signed_in_then(Outcome.NOT_FOUND)),  # nobody has connected a calendar
    Verb("PUT", signed_in, data=_connection, writes=_connected),
    Verb("DELETE", signed_in),  # nothing to disconnect: nothing written
    *(Verb(m, not_allowed()) for m in ("POST", "PATCH")),
    api=True,
    what="my calendar connection",
)
register_route(
    "calsync",
    "/api/v1/calsync/connection/test/",
    Verb("POST", signed_in, data=lambda w, m: {}),  # no settings: answered, nothing reached
    *(Verb(m, not_allowed()) for m in ("GET", "PUT", "PATCH", "DELETE")),
    api=True,
)
register_route(
    "calsync",
    "/api/v1/calsync/connection/sync/",
    Verb("POST", _signed_in_then(Outcome.REFUSED)),  # no connection: refused, nothing written
    *(Verb(m, not_allowed()) for m in ("GET", "PUT", "PATCH", "DELETE")),
    api=True,
)
register_route(
    "calsync",
    "/api/v1/calsync/contacts/",
    Verb("GET", _signed_in_then(Outcome.NOT_FOUND)),  # nobody has connected an address book
    Verb("PUT", signed_in, data=_connection, writes=_book_connected),
    Verb("DELETE", signed_in),  # nothing to disconnect: nothing written
    *(Verb(m, not_allowed()) for m in ("POST", "PATCH")),
    api=True,
    what="my address book connection",
)
register_route(
    "calsync",
    "/api/v1/calsync/contacts/test/",
    Verb("POST", signed_in, data=lambda w, m: {}),  # no settings: answered, nothing reached
    *(Verb(m, not_allowed()) for m in ("GET", "PUT", "PATCH", "DELETE")),
    api=True,
)
register_route(
    "calsync",
    "/api/v1/calsync/contacts/sync/",
    Verb("POST", _signed_in_then(Outcome.REFUSED)),  # no connection: refused, nothing written
    *(Verb(m, not_allowed()) for m in ("GET", "PUT", "PATCH", "DELETE")),
    api=True,
)
register_route(
    "calsync",
    "/api/v1/calsync/policy/",
    Verb("GET", signed_in),
    Verb("PUT", _administrators, data=lambda w, m: {"send_details": True}, writes=_policy_saved),
    *(Verb(m, not_allowed()) for m in ("POST", "PATCH", "DELETE")),
    api=True,
    what="the calendar sync policy",
)

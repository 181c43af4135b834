"""Which answers working together's routes must get (kesher/platform/testing/matrix.py;
tests/test_access_matrix.py imports this). They act on rep1's account: following it, its
followers, a note on it and the mention picker answer whoever may view accounts and sees it
(403 without the grant, 404 out of scope); the feed and the settings are everyone's own."""

from kesher.collab.models import Follow, FollowSettings, Note
from kesher.platform.testing.matrix import (
    Verb,
    never_allowed,
    not_allowed,
    permitted,
    register_route,
    signed_in,
)

OTHER_VERBS = ("PUT", "PATCH", "DELETE")


def _account(world):
    return world.record("accounts", "rep1")


def _url(suffix):
    return lambda world: f"/collab/accounts/{_account(world).pk}/{suffix}"


def _api_url(resource):
    return lambda world: f"/api/v1/{resource}/accounts/{_account(world).pk}/"


def _followed(following):
    def writes(world, principal, marker):
        return Follow.objects.filter(
            user=world.user(principal),
            entity="accounts",
            record_id=_account(world).pk,
            following=following,
        ).exists()

    return writes


def _noted(world, principal, marker):
    return Note.objects.filter(body=marker, author=world.user(principal)).exists()


def _settings_saved(world, principal, marker):
    return FollowSettings.objects.filter(user=world.user(principal), follow_owned=True).exists()


_sees = permitted("accounts", "view", _account)

register_route(
    "pages",
    "/collab/feed/",
    Verb("GET", signed_in),
    *(Verb(m, never_allowed) for m in ("POST", *OTHER_VERBS)),
)
register_route(
    "pages",
    "/collab/settings/",
    Verb(
        "POST",
        signed_in,
        data=lambda world, marker: {"follow_owned": "on"},
        writes=_settings_saved,
    ),
    *(Verb(m, never_allowed) for m in ("GET", *OTHER_VERBS)),
)
register_route(
    "pages",
    _url("follow/"),
    Verb("POST", _sees, data=lambda world, marker: {"action": "follow"}, writes=_followed(True)),
    *(Verb(m, never_allowed) for m in ("GET", *OTHER_VERBS)),
    what="rep1's account",
)
register_route(
    "pages",
    _url("followers/"),
    Verb("GET", _sees),
    *(Verb(m, never_allowed) for m in ("POST", *OTHER_VERBS)),
    what="rep1's account",
)
register_route(
    "pages",
    _url("mention/?q=a"),
    Verb("GET", _sees),
    *(Verb(m, never_allowed) for m in ("POST", *OTHER_VERBS)),
    what="rep1's account",
)
register_route(
    "pages",
    _url("notes/"),
    Verb("POST", _sees, data=lambda world, marker: {"body": marker}, writes=_noted),
    *(Verb(m, never_allowed) for m in ("GET", *OTHER_VERBS)),
    what="rep1's account",
)
register_route(
    "api",
    "/api/v1/feed/",
    Verb("GET", signed_in),
    *(Verb(m, not_allowed()) for m in ("POST", *OTHER_VERBS)),
    api=True,
)
register_route(
    "api",
    _api_url("following"),
    Verb("GET", _sees),
    Verb("POST", _sees, writes=_followed(True)),
    Verb("DELETE", _sees, writes=_followed(False)),
    *(Verb(m, not_allowed()) for m in ("PUT", "PATCH")),
    api=True,
    what="rep1's account",
)
register_route(
    "api",
    _api_url("notes"),
    Verb("GET", _sees),
    Verb("POST", _sees, data=lambda world, marker: {"body": marker}, writes=_noted),
    *(Verb(m, not_allowed()) for m in OTHER_VERBS),
    api=True,
    what="rep1's account",
)

"""The duplicates app's routes in the access matrix (tests/test_access_matrix.py): a pair of
rep1's and rep2's contacts, so scoping decides who may see, dismiss and merge it."""

from kesher.customers.models import Contact
from kesher.dedupe.models import DuplicatePair, DuplicateScan
from kesher.platform.testing.matrix import (
    Outcome,
    Verb,
    never_allowed,
    not_allowed,
    permitted,
    register_route,
    register_setup,
    signed_in,
)


@register_setup
def duplicates(world):
    a, b = world.record("contacts", "rep1"), world.record("contacts", "rep2")
    world["duplicate pair"] = DuplicatePair.objects.create(
        entity="contacts",
        record_a=min(a.pk, b.pk),
        record_b=max(a.pk, b.pk),
        score=95,
        reasons=["name"],
    )
    world["duplicate scan"] = DuplicateScan.objects.create(
        entity="contacts", actor=world.users["admin"], status="done", total=2, done=2
    )


def _both(world, principal) -> bool:
    return world.sees(principal, world.record("contacts", "rep1")) and world.sees(
        principal, world.record("contacts", "rep2")
    )


def _may_merge(world, principal) -> bool:
    return world.can(principal, "contacts", "change") and world.can(principal, "contacts", "delete")


def merge_page(world, principal):
    if not world.signed_in(principal):
        return Outcome.SIGN_IN
    if not world.can(principal, "contacts", "view"):
        return Outcome.FORBIDDEN
    if not _both(world, principal):
        return Outcome.NOT_FOUND
    return Outcome.ALLOW if _may_merge(world, principal) else Outcome.FORBIDDEN


def merge_api(world, principal):
    if not world.signed_in(principal):
        return Outcome.SIGN_IN
    if not _may_merge(world, principal):
        return Outcome.FORBIDDEN
    return Outcome.ALLOW if _both(world, principal) else Outcome.NOT_FOUND


def dismiss(world, principal):
    if not world.signed_in(principal):
        return Outcome.SIGN_IN
    if not world.can(principal, "contacts", "view") or not _both(world, principal):
        return Outcome.NOT_FOUND
    return Outcome.ALLOW if world.can(principal, "contacts", "change") else Outcome.FORBIDDEN


def scan(world, principal):
    if not world.signed_in(principal):
        return Outcome.SIGN_IN
    if not world.can(principal, "contacts", "view"):
        return Outcome.FORBIDDEN
    return Outcome.ALLOW if _may_merge(world, principal) else Outcome.FORBIDDEN


def _merged(world, principal, marker) -> bool:
    return not Contact.objects.filter(pk=world.record("contacts", "rep2").pk).exists()


def _dismissed(world, principal, marker) -> bool:
    return DuplicatePair.objects.filter(pk=world["duplicate pair"].pk, status="dismissed").exists()


def _scanned(world, principal, marker) -> bool:
    return DuplicateScan.objects.count() > 1


def _merge_url(world) -> str:
    a, b = world.record("contacts", "rep1"), world.record("contacts", "rep2")
    return f"/duplicates/contacts/merge/{a.pk}/{b.pk}/"


def _merge_body(world, marker) -> dict:
    return {
        "winner": world.record("contacts", "rep1").pk,
        "loser": world.record("contacts", "rep2").pk,
    }


register_route("duplicates", "/duplicates/contacts/", Verb("GET", permitted("contacts", "view")))
register_route(
    "duplicates",
    "/duplicates/contacts/scan/",
    Verb("POST", scan, writes=_scanned),
    *(Verb(m, never_allowed) for m in ("GET", "PUT", "PATCH", "DELETE")),
)
register_route(
    "duplicates",
    lambda world: f"/duplicates/scans/{world['duplicate scan'].pk}/",
    Verb("GET", permitted("contacts", "view")),
)
register_route(
    "duplicates",
    lambda world: f"/duplicates/pairs/{world['duplicate pair'].pk}/dismiss/",
    Verb("POST", dismiss, writes=_dismissed),
    *(Verb(m, never_allowed) for m in ("GET", "PUT", "PATCH", "DELETE")),
    what="a pair of rep1's and rep2's contacts",
)
register_route(
    "duplicates",
    _merge_url,
    Verb("GET", merge_page),
    Verb("POST", merge_page, data=lambda world, marker: {"keep": "a"}, writes=_merged),
    what="merge rep2's contact into rep1's",
)
register_route(
    "duplicates-api",
    "/api/v1/merge/contacts/",
    Verb("POST", merge_api, data=_merge_body, writes=_merged),
    *(Verb(m, not_allowed()) for m in ("GET", "PUT", "PATCH", "DELETE")),
    api=True,
)
register_route(
    "duplicates-api",
    "/api/v1/duplicates/contacts/",
    Verb("GET", permitted("contacts", "view")),
    *(Verb(m, not_allowed()) for m in ("POST", "PUT", "PATCH", "DELETE")),
    api=True,
)
register_route(
    "duplicates-api",
    "/api/v1/duplicates/contacts/scan/",
    Verb("POST", scan, writes=_scanned),
    *(Verb(m, not_allowed()) for m in ("GET", "PUT", "PATCH", "DELETE")),
    api=True,
)
register_route(
    "duplicates-api",
    lambda world: f"/api/v1/duplicates/pairs/{world['duplicate pair'].pk}/dismiss/",
    Verb("POST", dismiss, writes=_dismissed),
    *(Verb(m, not_allowed()) for m in ("GET", "PUT", "PATCH", "DELETE")),
    api=True,
)
register_route(
    "duplicates-api",
    lambda world: f"/api/v1/duplicate-scans/{world['duplicate scan'].pk}/",
    Verb("GET", permitted("contacts", "view")),
    *(Verb(m, not_allowed()) for m in ("POST", "PUT", "PATCH", "DELETE")),
    api=True,
)
__all__ = ["signed_in"]

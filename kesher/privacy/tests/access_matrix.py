"""How the access matrix makes data-subject requests (kesher/platform/testing/matrix.py), the
privacy officer it knocks with, and the privacy app's own routes: only a role granted the
requests (the privacy officer's; administrators) reads the access log and a person's data, and
only one that may change them answers or erases (REQ OR-8, issue 25)."""

from conftest import make_user
from kesher.platform.records.services import record_create
from kesher.platform.testing.matrix import (
    SEARCH_WORD,
    Verb,
    World,
    not_allowed,
    permitted,
    refused,
    register_records,
    register_route,
    register_setup,
)
from kesher.privacy.assessment import assessment_create
from kesher.privacy.models import RequestStatus, SubjectRequest
from kesher.privacy.services import request_create

REQUESTS = "privacy-requests"

register_records(
    REQUESTS,
    # A request to delete, so that its erasure route has something to do.
    make=lambda world, side: request_create(
        actor=world.users["admin"],
        data={
            "contact": world.record("contacts", side),
            "kind": "deletion",
            "notes": f"{SEARCH_WORD} request {side}",
        },
    ),
    values=lambda world, marker, record: {
        "contact": record.contact_id if record else world.record("contacts", "rep1").pk,
        "kind": "access",
        "notes": marker,
    },
    marker_field="notes",
)

register_records(
    "security-incidents",
    make=lambda world, side: record_create(
        "security-incidents",
        actor=world.users["admin"],
        data={"title": f"{SEARCH_WORD} incident {side}", "severity": "minor"},
    ),
    values=lambda world, marker, record: {"title": marker, "severity": "serious"},
    marker_field="title",
)


@register_setup
def _privacy_officer(world: World) -> None:
    world.users["privacy_officer"] = make_user("privacy1", "privacy_officer")


def _request(world: World):
    return world.record(REQUESTS, "rep1")


def _url(suffix: str, api: bool = False):
    prefix = "/api/v1/privacy-requests" if api else "/privacy/requests"
    return lambda world: f"{prefix}/{_request(world).pk}/{suffix}"


def _status(value: str):
    def writes(world, principal, marker):
        return SubjectRequest.objects.filter(pk=_request(world).pk, status=value).exists()

    return writes


OTHERS = ("PUT", "PATCH", "DELETE")

register_route(
    "privacy",
    "/privacy/access-log/",
    Verb("GET", permitted(REQUESTS, "view")),
    what="the access log",
)
register_route(
    "privacy",
    "/api/v1/access-log/",
    Verb("GET", permitted(REQUESTS, "view")),
    *(Verb(m, not_allowed()) for m in ("POST", *OTHERS)),
    api=True,
    what="the access log: read only",
)
for _suffix in ("data/", "data.json", "data.csv"):
    register_route(
        "privacy",
        _url(_suffix),
        # Everything about the person, whatever the officer's grants on other kinds of
        # record: the grant on requests is the right to it (decision 0078).
        Verb("GET", permitted(REQUESTS, "view", _request), beyond_scope=True),
        what=f"a person's data ({_suffix})",
    )
register_route(
    "privacy",
    _url("answered/"),
    Verb("POST", permitted(REQUESTS, "change", _request), writes=_status(RequestStatus.ANSWERED)),
    *(Verb(m, not_allowed()) for m in ("GET", *OTHERS)),
    what="a request marked answered",
)
register_route(
    "privacy",
    _url("anonymize/"),
    Verb("POST", permitted(REQUESTS, "change", _request), writes=_status(RequestStatus.ANONYMIZED)),
    *(Verb(m, not_allowed()) for m in ("GET", *OTHERS)),
    what="a person erased",
)
register_route(
    "privacy",
    _url("data/", api=True),
    Verb("GET", permitted(REQUESTS, "view", _request)),
    *(Verb(m, not_allowed()) for m in ("POST", *OTHERS)),
    api=True,
    what="a person's data",
)
register_route(
    "privacy",
    _url("anonymize/", api=True),
    Verb("POST", permitted(REQUESTS, "change", _request), writes=_status(RequestStatus.ANONYMIZED)),
    *(Verb(m, not_allowed()) for m in ("GET", *OTHERS)),
    api=True,
    what="a person erased",
)

RULES = "retention-rules"

register_records(
    RULES,
    make=lambda world, side: record_create(
        RULES,
        actor=world.users["admin"],
        data={
            "name": f"{SEARCH_WORD} rule {side}",
            "entity": "leads",
            "condition": {"field": "converted_at", "op": "empty"},
            "age_months": 24,
        },
    ),
    values=lambda world, marker, record: {
        "name": marker,
        "entity": "tickets",
        "condition": {},
        "age_field": "created_at",
        "age_months": 84,
        "action": "anonymize",
    },
    marker_field="name",
)


def _rule(world: World):
    return world.record(RULES, "rep1")


register_route(
    "privacy",
    lambda world: f"/privacy/retention-rules/{_rule(world).pk}/dry-run/",
    Verb("GET", permitted(RULES, "view", _rule)),
    what="a retention rule's dry run",
)
for _suffix, _what in (("dry-run/", "a retention rule's dry run"), ("runs/", "its runs")):
    register_route(
        "privacy",
        lambda world, suffix=_suffix: f"/api/v1/retention-rules/{_rule(world).pk}/{suffix}",
        Verb("GET", permitted(RULES, "view", _rule)),
        *(Verb(m, not_allowed()) for m in ("POST", *OTHERS)),
        api=True,
        what=f"{_what}: read only",
    )

ASSESSMENTS = "security-assessments"

register_records(
    ASSESSMENTS,
    make=lambda world, side: assessment_create(
        actor=world.users["admin"],
        data={"findings": f"{SEARCH_WORD} assessment {side}", "people": 10},
    ),
    values=lambda world, marker, record: {"findings": marker, "sensitive_data": True},
    marker_field="findings",
)


def _assessment(world: World):
    return world.record(ASSESSMENTS, "rep1")


register_route(
    "privacy",
    lambda world: f"/api/v1/security-assessments/{_assessment(world).pk}/requirements/",
    Verb("GET", permitted(ASSESSMENTS, "view", _assessment)),
    *(Verb(m, not_allowed()) for m in ("POST", *OTHERS)),
    api=True,
    what="what a self-assessment's level asks: read only",
)


def _correction(world: World):
    """A correction request about a person of its own, whom no route of the matrix changes:
    nothing of his was corrected, so passing it on is refused (400) and writes nothing.
    Made on first use (the matrix's own requests are requests to delete)."""
    found = SubjectRequest.objects.filter(kind="correction", notes=f"{SEARCH_WORD} correction")
    if not found.exists():
        person = record_create(
            "contacts",
            actor=world.users["admin"],
            data={"first_name": "Matrix", "last_name": "Correction"},
        )
        request_create(
            actor=world.users["admin"],
            data={"contact": person, "kind": "correction", "notes": f"{SEARCH_WORD} correction"},
        )
    return found.first()


register_route(
    "privacy",
    _url("recipients/", api=True),
    Verb("GET", permitted(REQUESTS, "view", _request)),
    *(Verb(m, not_allowed()) for m in ("POST", *OTHERS)),
    api=True,
    what="who received a person's data: read only",
)
# Passing a correction on: refused (400) until the person's record was corrected, so the
# matrix checks who may knock, not that it writes (tests/test_correction.py does).
register_route(
    "privacy",
    lambda world: f"/privacy/requests/{_correction(world).pk}/pass-on/",
    # The page answers a refusal by going back to the request with the error.
    Verb("POST", permitted(REQUESTS, "change", _correction)),
    *(Verb(m, not_allowed()) for m in ("GET", *OTHERS)),
    what="a correction passed on",
)
register_route(
    "privacy",
    lambda world: f"/api/v1/privacy-requests/{_correction(world).pk}/pass-on/",
    Verb("POST", refused(REQUESTS, "change", _correction)),
    *(Verb(m, not_allowed()) for m in ("GET", *OTHERS)),
    api=True,
    what="a correction passed on",
)

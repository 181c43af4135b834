"""How the access matrix makes approval processes and which answers the approval pages and API
must get (kesher/platform/testing/matrix.py; tests/test_access_matrix.py imports this).

A round waits on an account of rep1's (not the matrix's own account, whose edits the generic
routes check), for the manager's decision; another account of rep1's is free to be sent for
approval.
"""

from kesher.approvals.models import ApprovalDecision, ApprovalLink, ApprovalRequest
from kesher.approvals.notices import link_token
from kesher.approvals.services import approval_process_create, approval_start
from kesher.customers.services import account_create
from kesher.platform.testing.matrix import (
    Outcome,
    Verb,
    never_allowed,
    not_allowed,
    owner_of,
    register_records,
    register_route,
    register_setup,
    signed_in,
)

STEPS = '[{"approver": "role", "role": "admin"}]'

register_records(
    "approval-processes",
    make=lambda world, side: approval_process_create(
        actor=world.users["admin"],
        data={"name_he": "Matrix process", "entity": "contacts", "steps": STEPS},
    ),
    values=lambda world, marker, record: {
        "name_he": marker,
        "entity": "contacts",
        "mode": "ordered",
        "steps": STEPS,
        "active": True,
    },
    marker_field="name_he",
)


@register_setup
def _approvals(world):
    rep1, manager = owner_of(world, "rep1"), world.users["manager"]
    process = approval_process_create(
        actor=world.users["admin"],
        data={
            "name_he": "Matrix approval",
            "entity": "accounts",
            "steps": [{"approver": "user", "user": manager.pk}],
        },
    )
    waiting = account_create(actor=rep1, data={"name": "Matrix waiting", "owner": rep1})
    world["approval process"] = process
    world["approval free account"] = account_create(
        actor=rep1, data={"name": "Matrix free", "owner": rep1}
    )
    world["approval"] = approval_start(process_id=process.pk, record=waiting, actor=rep1)
    world["approval account"] = waiting
    world["approval token"] = link_token(ApprovalLink.objects.get(user=manager).nonce)


def _sees(name):
    """Signed in, and the account is in the role's scope (else 404)."""

    def expect(world, principal):
        if not world.signed_in(principal):
            return Outcome.SIGN_IN
        return Outcome.ALLOW if world.sees(principal, world[name]) else Outcome.NOT_FOUND

    return expect


def _approver(world, principal):
    outcome = _sees("approval account")(world, principal)
    if outcome is Outcome.ALLOW and principal != "manager":
        return Outcome.FORBIDDEN
    return outcome


def _requester_or_admin(world, principal):
    outcome = _sees("approval account")(world, principal)
    if outcome is Outcome.ALLOW and principal not in ("sales_rep", "admin"):
        return Outcome.FORBIDDEN
    return outcome


def _starter(world, principal):
    """Whoever sees the free account and may change accounts asks for its approval."""
    outcome = _sees("approval free account")(world, principal)
    if outcome is Outcome.ALLOW and not world.can(principal, "accounts", "change"):
        return Outcome.FORBIDDEN
    return outcome


def _api_starter(world, principal):
    """As on the page; but through the API, a caller who reads accounts, not this one, names a
    record he may not see in the request's body: refused as any such link is (400, unnamed)."""
    outcome = _starter(world, principal)
    if outcome is Outcome.NOT_FOUND and world.can(principal, "accounts", "view"):
        return Outcome.REFUSED
    return outcome


def _decided(world, principal, marker):
    return ApprovalDecision.objects.filter(comment=marker, decision="approve").exists()


def _cancelled(world, principal, marker):
    return ApprovalRequest.objects.filter(pk=world["approval"].pk, status="cancelled").exists()


def _started(world, principal, marker):
    return ApprovalRequest.objects.filter(link_id=world["approval free account"].pk).exists()


def _link_used(world, principal, marker):
    return ApprovalLink.objects.filter(used_at__isnull=False).exists()


def _link_owner(world, principal):
    outcome = signed_in(world, principal)
    if outcome is Outcome.ALLOW and principal != "manager":
        return Outcome.FORBIDDEN
    return outcome


def _decision(world, marker):
    return {"decision": "approve", "comment": marker, "version": "1"}


def _request_url(suffix=""):
    return lambda world: f"/approvals/{world['approval'].pk}/{suffix}"


def _api_url(suffix=""):
    return lambda world: f"/api/v1/approval-requests/{world['approval'].pk}/{suffix}"


OTHER_VERBS = ("PUT", "PATCH", "DELETE")

for _path in ("/approvals/", "/approvals/?tab=mine"):
    register_route(
        "pages",
        _path,
        Verb("GET", signed_in),
        *(Verb(m, never_allowed) for m in ("POST", *OTHER_VERBS)),
    )
register_route(
    "pages",
    _request_url(),
    Verb("GET", _sees("approval account")),
    *(Verb(m, never_allowed) for m in ("POST", *OTHER_VERBS)),
    what="rep1's pending approval",
)
register_route(
    "pages",
    _request_url("decide/"),
    Verb("POST", _approver, data=_decision, writes=_decided),
    *(Verb(m, never_allowed) for m in ("GET", *OTHER_VERBS)),
    what="rep1's pending approval",
)
register_route(
    "pages",
    _request_url("cancel/"),
    Verb("POST", _requester_or_admin, data=lambda w, m: {"version": "1"}, writes=_cancelled),
    *(Verb(m, never_allowed) for m in ("GET", *OTHER_VERBS)),
    what="rep1's pending approval",
)
register_route(
    "pages",
    lambda world: f"/approvals/start/accounts/{world['approval free account'].pk}/",
    Verb(
        "POST",
        _starter,
        data=lambda world, marker: {"process": world["approval process"].pk},
        writes=_started,
    ),
    *(Verb(m, never_allowed) for m in ("GET", *OTHER_VERBS)),
    what="rep1's account",
)
register_route(
    "pages",
    lambda world: f"/approvals/link/{world['approval token']}/",
    Verb("GET", _link_owner, writes=_link_used),
    *(Verb(m, never_allowed) for m in ("POST", *OTHER_VERBS)),
    what="the manager's approval link",
)
register_route(
    "api",
    "/api/v1/approval-requests/",
    Verb("GET", signed_in),
    Verb(
        "POST",
        _api_starter,
        data=lambda world, marker: {
            "process": world["approval process"].pk,
            "link_type": "accounts",
            "link_id": world["approval free account"].pk,
        },
        writes=_started,
    ),
    *(Verb(m, not_allowed()) for m in OTHER_VERBS),
    api=True,
)
register_route(
    "api",
    _api_url(),
    Verb("GET", _sees("approval account")),
    *(Verb(m, not_allowed()) for m in ("POST", *OTHER_VERBS)),
    api=True,
    what="rep1's pending approval",
)
register_route(
    "api",
    _api_url("decide/"),
    Verb("POST", _approver, data=_decision, writes=_decided),
    *(Verb(m, not_allowed()) for m in ("GET", *OTHER_VERBS)),
    api=True,
    what="rep1's pending approval",
)
register_route(
    "api",
    _api_url("cancel/"),
    Verb("POST", _requester_or_admin, data=lambda w, m: {"version": 1}, writes=_cancelled),
    *(Verb(m, not_allowed()) for m in ("GET", *OTHER_VERBS)),
    api=True,
    what="rep1's pending approval",
)

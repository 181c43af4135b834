"""How the access matrix makes tax documents and payment terms (kesher/platform/testing/
matrix.py), and the routes of the app's own pages and API. Each side's draft invoice is for
its own customer (documents are seen with their customer); the actions are sent in ways the
services refuse (an empty draft is not issued, a draft is not paid or credited), so whoever
passes the gate gets the refusal and nothing is written; the services' own tests write."""

from kesher.billing.models import PaymentTerms
from kesher.billing.services import (
    clearing_account_create,
    document_create,
    invoicing_adapter_create,
)
from kesher.customers.tests.matrix_helpers import own_customer
from kesher.platform.records.services import record_create
from kesher.platform.testing.matrix import (
    SEARCH_WORD,
    Outcome,
    Verb,
    never_allowed,
    not_allowed,
    owner_of,
    permitted,
    public,
    refused,
    register_records,
    register_route,
)


def _customer(world, side):
    return own_customer(world, side, "Billing")


register_records(
    "tax-documents",
    make=lambda world, side: document_create(
        actor=owner_of(world, side),
        data={
            "kind": "tax_invoice",
            "name": f"{SEARCH_WORD} invoice {side}",
            "account": _customer(world, side),
            "owner": owner_of(world, side),
        },
    ),
    values=lambda world, marker, record: {
        "kind": "tax_invoice",
        "name": marker,
        "account": (record.account_id if record else _customer(world, "rep1").pk),
    },
    marker_field="name",
)

register_records(
    "payment-terms",
    make=lambda world, side: record_create(
        "payment-terms",
        actor=owner_of(world, side),
        data={
            "name": f"{SEARCH_WORD} terms {side}",
            "basis": PaymentTerms.Basis.END_OF_MONTH,
            "days": 30,
            "description": f"{SEARCH_WORD} terms {side}",
        },
    ),
    values=lambda world, marker, record: {
        "name": record.name if record else f"{marker} new",
        "basis": "eom",
        "days": 45,
        "description": marker,
    },
    marker_field="description",
)


register_records(
    "clearing-accounts",
    make=lambda world, side: clearing_account_create(
        actor=owner_of(world, side),
        data={
            "name": f"{SEARCH_WORD} clearing {side}",
            "provider": "generic",
            "terminal": f"{SEARCH_WORD} terminal {side}",
            "secret": "matrix-secret",
        },
    ),
    values=lambda world, marker, record: {
        "name": record.name if record else f"{marker} new",
        "provider": "generic",
        "terminal": marker,
        "secret": "matrix-secret",
    },
    marker_field="terminal",
)


register_records(
    "invoicing-software",
    make=lambda world, side: invoicing_adapter_create(
        actor=owner_of(world, side),
        data={
            "name": f"{SEARCH_WORD} software {side}",
            "kind": "webhook",
            "url": "https://books.example.com/in",
            "secret": "matrix-secret",
            "description": f"{SEARCH_WORD} software {side}",
        },
    ),
    values=lambda world, marker, record: {
        "name": record.name if record else f"{marker} new",
        "kind": "webhook",
        "url": "https://books.example.com/in",
        "secret": "matrix-secret",
        "description": marker,
    },
    marker_field="description",
)


def missing(key: str, action: str, target=None):
    """The gate of ``permitted``; past it, 404: the draft has no such payment."""

    def expect(world, principal):
        outcome = permitted(key, action, target)(world, principal)
        return Outcome.NOT_FOUND if outcome is Outcome.ALLOW else outcome

    return expect


def _from_order(side, outcome):
    def expect(world, principal):
        if not world.signed_in(principal):
            return Outcome.SIGN_IN
        if not world.can(principal, "tax-documents", "add"):
            return Outcome.FORBIDDEN
        if not world.can(principal, "orders", "view"):
            return Outcome.FORBIDDEN
        if not world.sees(principal, world.record("orders", side)):
            return Outcome.NOT_FOUND
        return outcome

    return expect


def _balance(side):
    def expect(world, principal):
        if not world.signed_in(principal):
            return Outcome.SIGN_IN
        if not world.can(principal, "tax-documents", "view"):
            return Outcome.FORBIDDEN
        if not world.can(principal, "accounts", "view"):
            return Outcome.FORBIDDEN
        if not world.sees(principal, world.record("accounts", side)):
            return Outcome.NOT_FOUND
        return Outcome.ALLOW

    return expect


for _side in ("rep1", "rep2"):

    def _document(world, side=_side):
        return world.record("tax-documents", side)

    for _action, _needed in (
        ("issue", "change"),
        ("credit-note", "add"),
        ("issue-without-allocation", "change"),
        ("cancel", "change"),
        ("payment-link", "add"),
        ("tax-invoice", "add"),
    ):
        register_route(
            "pages",
            lambda world, side=_side, action=_action: (
                f"/tax-documents/{world.record('tax-documents', side).pk}/{action}/"
            ),
            Verb("POST", permitted("tax-documents", _needed, _document)),
            *(Verb(m, never_allowed) for m in ("GET", "PUT", "PATCH", "DELETE")),
            what=f"{_side}'s empty draft: {_action} declined",
        )
        register_route(
            "api",
            lambda world, side=_side, action=_action: (
                f"/api/v1/tax-documents/{world.record('tax-documents', side).pk}/{action}/"
            ),
            Verb("POST", refused("tax-documents", _needed, _document)),
            *(Verb(m, not_allowed()) for m in ("GET", "PUT", "PATCH", "DELETE")),
            api=True,
            what=f"{_side}'s empty draft: {_action} refused",
        )
    # The PDF, in the entity's own area as the quotes' PDFs are (decision 0077): whoever sees
    # the document downloads it (a draft: marked as one, nothing counted), others get 404.
    register_route(
        "tax-documents",
        lambda world, side=_side: f"/tax-documents/{world.record('tax-documents', side).pk}/pdf/",
        Verb("GET", permitted("tax-documents", "view", _document)),
        *(Verb(m, never_allowed) for m in ("POST", "PUT", "PATCH", "DELETE")),
        what=f"{_side}'s tax-documents PDF",
    )
    register_route(
        "tax-documents",
        lambda world, side=_side: (
            f"/api/v1/tax-documents/{world.record('tax-documents', side).pk}/pdf/"
        ),
        Verb("GET", permitted("tax-documents", "view", _document)),
        *(Verb(m, not_allowed()) for m in ("POST", "PUT", "PATCH", "DELETE")),
        api=True,
        what=f"{_side}'s tax-documents PDF",
    )
    register_route(
        "pages",
        lambda world, side=_side: f"/tax-documents/{world.record('tax-documents', side).pk}/pay/",
        Verb("GET", permitted("tax-documents", "add", _document)),
        Verb("POST", permitted("tax-documents", "add", _document)),
        *(Verb(m, never_allowed) for m in ("PUT", "PATCH", "DELETE")),
        what=f"{_side}'s draft: a payment form, the payment refused",
    )
    register_route(
        "api",
        lambda world, side=_side: (
            f"/api/v1/tax-documents/{world.record('tax-documents', side).pk}/lines/"
        ),
        Verb("GET", permitted("tax-documents", "view", _document)),
        *(Verb(m, not_allowed()) for m in ("POST", "PUT", "PATCH", "DELETE")),
        api=True,
        what=f"{_side}'s document with its lines",
    )
    register_route(
        "api",
        lambda world, side=_side: (
            f"/api/v1/tax-documents/{world.record('tax-documents', side).pk}/payments/"
        ),
        Verb(
            "PUT",
            refused("tax-documents", "change", _document),
            data=lambda world, marker: {"payments": [{"method": "cash", "amount": "1.00"}]},
        ),
        *(Verb(m, not_allowed()) for m in ("GET", "POST", "PATCH", "DELETE")),
        api=True,
        what=f"{_side}'s tax invoice takes no payments",
    )
    register_route(
        "api",
        lambda world, side=_side: (
            f"/api/v1/tax-documents/{world.record('tax-documents', side).pk}/receipt/"
        ),
        Verb(
            "POST",
            refused("tax-documents", "add", _document),
            data=lambda world, marker: {"payments": [{"method": "cash", "amount": "1.00"}]},
        ),
        *(Verb(m, not_allowed()) for m in ("GET", "PUT", "PATCH", "DELETE")),
        api=True,
        what=f"{_side}'s draft is not paid",
    )
    register_route(
        "pages",
        lambda world, side=_side: f"/orders/{world.record('orders', side).pk}/tax-document/",
        Verb(
            "POST",
            _from_order(_side, Outcome.DECLINED),
            data=lambda world, marker: {"kind": "tax_invoice"},
        ),
        *(Verb(m, never_allowed) for m in ("GET", "PUT", "PATCH", "DELETE")),
        what=f"{_side}'s draft order: no document made",
    )
    register_route(
        "api",
        lambda world, side=_side: f"/api/v1/orders/{world.record('orders', side).pk}/tax-document/",
        Verb(
            "POST",
            _from_order(_side, Outcome.REFUSED),
            data=lambda world, marker: {"kind": "tax_invoice"},
        ),
        *(Verb(m, not_allowed()) for m in ("GET", "PUT", "PATCH", "DELETE")),
        api=True,
        what=f"{_side}'s draft order: no document made",
    )
    # Handing the draft order over to invoicing software is refused (decision 0084).
    register_route(
        "pages",
        lambda world, side=_side: f"/orders/{world.record('orders', side).pk}/hand-over/",
        Verb("POST", _from_order(_side, Outcome.DECLINED)),
        *(Verb(m, never_allowed) for m in ("GET", "PUT", "PATCH", "DELETE")),
        what=f"{_side}'s draft order is not handed over",
    )
    register_route(
        "api",
        lambda world, side=_side: f"/api/v1/orders/{world.record('orders', side).pk}/hand-over/",
        Verb("POST", _from_order(_side, Outcome.REFUSED)),
        *(Verb(m, not_allowed()) for m in ("GET", "PUT", "PATCH", "DELETE")),
        api=True,
        what=f"{_side}'s draft order is not handed over",
    )
    register_route(
        "api",
        lambda world, side=_side: f"/api/v1/accounts/{world.record('accounts', side).pk}/billing/",
        Verb("GET", _balance(_side)),
        *(Verb(m, not_allowed()) for m in ("POST", "PUT", "PATCH", "DELETE")),
        api=True,
        what=f"{_side}'s customer's balance",
    )
    # A customer's usual payment terms: read with the account, set by who may change it; the
    # matrix sets none, so nothing is written.
    register_route(
        "tax-documents",
        lambda world, side=_side: (
            f"/api/v1/accounts/{world.record('accounts', side).pk}/payment-terms/"
        ),
        Verb(
            "GET",
            permitted("accounts", "view", lambda world, side=_side: world.record("accounts", side)),
        ),
        Verb(
            "PUT",
            permitted(
                "accounts", "change", lambda world, side=_side: world.record("accounts", side)
            ),
            data=lambda world, marker: {"payment_terms": None},
        ),
        *(Verb(m, not_allowed()) for m in ("POST", "PATCH", "DELETE")),
        api=True,
        what=f"{_side}'s customer's payment terms",
    )
    register_route(
        "tax-documents",
        lambda world, side=_side: f"/accounts/{world.record('accounts', side).pk}/payment-terms/",
        Verb(
            "POST",
            permitted(
                "accounts", "change", lambda world, side=_side: world.record("accounts", side)
            ),
            data=lambda world, marker: {"payment_terms": ""},
        ),
        *(Verb(m, never_allowed) for m in ("GET", "PUT", "PATCH", "DELETE")),
        what=f"{_side}'s customer's payment terms, none chosen",
    )
    # Payment links (decision 0084): the draft is refused one; a returned cheque: the draft has
    # no payment 1.
    register_route(
        "api",
        lambda world, side=_side: (
            f"/api/v1/tax-documents/{world.record('tax-documents', side).pk}/payment-link/"
        ),
        Verb("POST", refused("tax-documents", "add", _document)),
        *(Verb(m, not_allowed()) for m in ("GET", "PUT", "PATCH", "DELETE")),
        api=True,
        what=f"{_side}'s draft gets no payment link",
    )
    register_route(
        "api",
        lambda world, side=_side: (
            f"/api/v1/tax-documents/{world.record('tax-documents', side).pk}/payments/1/return/"
        ),
        Verb(
            "POST",
            missing("tax-documents", "change", _document),
            data=lambda world, marker: {"reason": marker},
        ),
        *(Verb(m, not_allowed()) for m in ("GET", "PUT", "PATCH", "DELETE")),
        api=True,
        what=f"{_side}'s draft has no cheque to return",
    )
    register_route(
        "pages",
        lambda world, side=_side: (
            f"/tax-documents/{world.record('tax-documents', side).pk}/cheques/1/return/"
        ),
        Verb(
            "POST",
            missing("tax-documents", "change", _document),
            data=lambda world, marker: {"reason": marker},
        ),
        *(Verb(m, never_allowed) for m in ("GET", "PUT", "PATCH", "DELETE")),
        what=f"{_side}'s draft has no cheque to return",
    )


def _nobody_found(world, principal):
    return Outcome.NOT_FOUND


# The clearing provider's confirmations come from outside, signed: no session is asked for; an
# unknown clearing account is not found by anyone.
register_route(
    "api",
    "/api/v1/clearing/999999/confirm/",
    Verb("POST", _nobody_found, data=lambda world, marker: {"event_id": marker}),
    *(Verb(m, not_allowed(public)) for m in ("GET", "PUT", "PATCH", "DELETE")),
    api=True,
    what="a confirmation for no clearing account",
)


# For the accountant (decision 0084): whoever reads tax documents exports those he sees; the
# API's period is missing here, so past the gate it answers 400.
register_route(
    "pages",
    "/billing/accountant/",
    Verb("GET", permitted("tax-documents", "view")),
    *(Verb(m, never_allowed) for m in ("POST", "PUT", "PATCH", "DELETE")),
    what="the accountant's export form",
)
register_route(
    "api",
    "/api/v1/billing/export/",
    Verb("GET", refused("tax-documents", "view")),
    *(Verb(m, not_allowed()) for m in ("POST", "PUT", "PATCH", "DELETE")),
    api=True,
    what="the accountant's export without a period",
)
register_route(
    "api",
    "/api/v1/invoicing/999999/documents/",
    Verb("POST", _nobody_found, data=lambda world, marker: {"number": marker}),
    *(Verb(m, not_allowed(public)) for m in ("GET", "PUT", "PATCH", "DELETE")),
    api=True,
    what="a document for no invoicing software",
)

"""How the access matrix makes tax documents and payment terms (kesher/platform/testing/
matrix.py), and the routes of the app's own pages and API. Each side's draft invoice is for
its own customer (documents are seen with their customer); the actions are sent in ways the
services refuse (an empty draft is not issued, a draft is not paid or credited), so whoever
passes the gate gets the refusal and nothing is written; the services' own tests write."""

from kesher.billing.models import PaymentTerms
from kesher.billing.services import (
    clearing_account_create,
    document_create,
    document_from_order,
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
    register_record_action,
    register_records,
    register_route,
)
from kesher.quotes.services import order_confirm
from kesher.quotes.tests.access_matrix import lined_order


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
    "invoice-lines",
    make=lambda world, side: document_from_order(
        order_confirm(lined_order(world, side, "Invoice line"), actor=owner_of(world, side)),
        actor=owner_of(world, side),
        kind="tax_invoice",
    ).lines.get(),
    values=lambda world, marker, record: {
        "document": world.record("tax-documents", "rep1").pk,
        "product": world.record("products", "rep1").pk,
        "name": marker,
        "quantity": "1",
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


for _action, _needed in (
    ("issue", "change"),
    ("credit-note", "add"),
    ("issue-without-allocation", "change"),
    ("cancel", "change"),
    ("payment-link", "add"),
    ("tax-invoice", "add"),
):
    register_record_action(
        "tax-documents",
        f"{_action}/",
        page=lambda side, record, needed=_needed: Verb(
            "POST", permitted("tax-documents", needed, record)
        ),
        api=lambda side, record, needed=_needed: Verb(
            "POST", refused("tax-documents", needed, record)
        ),
        what=f"{{side}}'s empty draft: {_action} declined",
        api_what=f"{{side}}'s empty draft: {_action} refused",
    )
# The PDF, in the entity's own area as the quotes' PDFs are (decision 0077): whoever sees the
# document downloads it (a draft: marked as one, nothing counted), others get 404.
register_record_action(
    "tax-documents",
    "pdf/",
    page=lambda side, record: Verb("GET", permitted("tax-documents", "view", record)),
    api=lambda side, record: Verb("GET", permitted("tax-documents", "view", record)),
    page_area="tax-documents",
    api_area="tax-documents",
    what="{side}'s tax-documents PDF",
)
register_record_action(
    "tax-documents",
    "pay/",
    page=lambda side, record: (
        Verb("GET", permitted("tax-documents", "add", record)),
        Verb("POST", permitted("tax-documents", "add", record)),
    ),
    what="{side}'s draft: a payment form, the payment refused",
)
register_record_action(
    "tax-documents",
    "lines/",
    api=lambda side, record: Verb("GET", permitted("tax-documents", "view", record)),
    what="{side}'s document with its lines",
)
register_record_action(
    "tax-documents",
    "payments/",
    api=lambda side, record: Verb(
        "PUT",
        refused("tax-documents", "change", record),
        data=lambda world, marker: {"payments": [{"method": "cash", "amount": "1.00"}]},
    ),
    what="{side}'s tax invoice takes no payments",
)
register_record_action(
    "tax-documents",
    "receipt/",
    api=lambda side, record: Verb(
        "POST",
        refused("tax-documents", "add", record),
        data=lambda world, marker: {"payments": [{"method": "cash", "amount": "1.00"}]},
    ),
    what="{side}'s draft is not paid",
)
register_record_action(
    "orders",
    "tax-document/",
    page=lambda side, record: Verb(
        "POST",
        _from_order(side, Outcome.DECLINED),
        data=lambda world, marker: {"kind": "tax_invoice"},
    ),
    api=lambda side, record: Verb(
        "POST",
        _from_order(side, Outcome.REFUSED),
        data=lambda world, marker: {"kind": "tax_invoice"},
    ),
    what="{side}'s draft order: no document made",
)
# Handing the draft order over to invoicing software is refused (decision 0084).
register_record_action(
    "orders",
    "hand-over/",
    page=lambda side, record: Verb("POST", _from_order(side, Outcome.DECLINED)),
    api=lambda side, record: Verb("POST", _from_order(side, Outcome.REFUSED)),
    what="{side}'s draft order is not handed over",
)
register_record_action(
    "accounts",
    "billing/",
    api=lambda side, record: Verb("GET", _balance(side)),
    what="{side}'s customer's balance",
)
# A customer's usual payment terms: read with the account, set by who may change it; the
# matrix sets none, so nothing is written.
register_record_action(
    "accounts",
    "payment-terms/",
    page=lambda side, record: Verb(
        "POST",
        permitted("accounts", "change", record),
        data=lambda world, marker: {"payment_terms": ""},
    ),
    api=lambda side, record: (
        Verb("GET", permitted("accounts", "view", record)),
        Verb(
            "PUT",
            permitted("accounts", "change", record),
            data=lambda world, marker: {"payment_terms": None},
        ),
    ),
    page_area="tax-documents",
    api_area="tax-documents",
    what="{side}'s customer's payment terms, none chosen",
    api_what="{side}'s customer's payment terms",
)
# Payment links (decision 0084): the draft is refused one; a returned cheque: the draft has no
# payment 1.
register_record_action(
    "tax-documents",
    "payment-link/",
    api=lambda side, record: Verb("POST", refused("tax-documents", "add", record)),
    what="{side}'s draft gets no payment link",
)
register_record_action(
    "tax-documents",
    "payments/1/return/",
    api=lambda side, record: Verb(
        "POST",
        missing("tax-documents", "change", record),
        data=lambda world, marker: {"reason": marker},
    ),
    what="{side}'s draft has no cheque to return",
)
register_record_action(
    "tax-documents",
    "cheques/1/return/",
    page=lambda side, record: Verb(
        "POST",
        missing("tax-documents", "change", record),
        data=lambda world, marker: {"reason": marker},
    ),
    what="{side}'s draft has no cheque to return",
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

"""How the access matrix makes quotes and orders (kesher/platform/testing/matrix.py), and the
routes of their own pages and API: each sales rep's quote and order are for his own account.
The lines and the actions are sent in ways the services refuse (an empty draft is not sent, a
line without a product is no line), so whoever passes the gate gets the refusal and nothing is
written; the services' own tests write."""

from kesher.customers.tests.matrix_helpers import own_customer
from kesher.platform.testing.matrix import (
    SEARCH_WORD,
    Outcome,
    Verb,
    created,
    never_allowed,
    not_allowed,
    owner_of,
    permitted,
    refused,
    register_records,
    register_route,
)
from kesher.quotes.doctemplates import document_template_create
from kesher.quotes.models import Quote
from kesher.quotes.services import order_create, quote_create


def _customer(world, side):
    return own_customer(world, side, "Documents")


register_records(
    "quotes",
    make=lambda world, side: quote_create(
        actor=owner_of(world, side),
        data={
            "name": f"{SEARCH_WORD} quote {side}",
            "account": _customer(world, side),
            "owner": owner_of(world, side),
        },
    ),
    values=lambda world, marker, record: {
        "name": marker,
        "account": (record.account_id if record else _customer(world, "rep1").pk),
    },
    marker_field="name",
)

register_records(
    "orders",
    make=lambda world, side: order_create(
        actor=owner_of(world, side),
        data={
            "account": _customer(world, side),
            "owner": owner_of(world, side),
            "name": f"{SEARCH_WORD} order {side}",
        },
    ),
    values=lambda world, marker, record: {
        "name": marker,
        "account": (record.account_id if record else _customer(world, "rep1").pk),
    },
    marker_field="name",
)


def _quote_from_deal(side):
    def expect(world, principal):
        if not world.signed_in(principal):
            return Outcome.SIGN_IN
        if not world.can(principal, "quotes", "add"):
            return Outcome.FORBIDDEN
        if not world.can(principal, "opportunities", "view"):
            return Outcome.FORBIDDEN
        if not world.sees(principal, world.record("opportunities", side)):
            return Outcome.NOT_FOUND
        return Outcome.ALLOW

    def writes(world, principal, marker):
        return Quote.objects.filter(
            opportunity=world.record("opportunities", side), owner=world.user(principal)
        ).exists()

    return expect, writes


for _side in ("rep1", "rep2"):

    def _quote(world, side=_side):
        return world.record("quotes", side)

    def _order(world, side=_side):
        return world.record("orders", side)

    register_route(
        "pages",
        lambda world, side=_side: f"/quotes/{world.record('quotes', side).pk}/lines/",
        Verb(
            "POST",
            permitted("quotes", "change", _quote),
            data=lambda world, marker: {"product": ["1"], "quantity": ["x"]},
            headers={"HX-Request": "true"},
        ),
        *(Verb(m, never_allowed) for m in ("GET", "PUT", "PATCH", "DELETE")),
        what=f"{_side}'s quote's grid (nothing to save)",
    )
    register_route(
        "pages",
        lambda world, side=_side: f"/quotes/{world.record('quotes', side).pk}/send/",
        Verb("POST", permitted("quotes", "change", _quote)),
        *(Verb(m, never_allowed) for m in ("GET", "PUT", "PATCH", "DELETE")),
        what=f"{_side}'s empty draft sent: declined",
    )
    register_route(
        "pages",
        lambda world, side=_side: f"/orders/{world.record('orders', side).pk}/lines/",
        Verb(
            "POST",
            permitted("orders", "change", _order),
            data=lambda world, marker: {"product": ["1"], "quantity": ["x"]},
            headers={"HX-Request": "true"},
        ),
        *(Verb(m, never_allowed) for m in ("GET", "PUT", "PATCH", "DELETE")),
        what=f"{_side}'s order's grid (nothing to save)",
    )
    register_route(
        "pages",
        lambda world, side=_side: f"/orders/{world.record('orders', side).pk}/confirm/",
        Verb("POST", permitted("orders", "change", _order)),
        *(Verb(m, never_allowed) for m in ("GET", "PUT", "PATCH", "DELETE")),
        what=f"{_side}'s empty draft order confirmed: declined",
    )
    for _key, _target, _action in (
        ("quotes", _quote, "send"),
        ("quotes", _quote, "request-approval"),
        ("quotes", _quote, "revise"),
        ("quotes", _quote, "accept"),
        ("quotes", _quote, "reject"),
        ("orders", _order, "confirm"),
    ):
        register_route(
            "api",
            lambda world, side=_side, key=_key, action=_action: (
                f"/api/v1/{key}/{world.record(key, side).pk}/{action}/"
            ),
            Verb("POST", refused(_key, "change", _target)),
            *(Verb(m, not_allowed()) for m in ("GET", "PUT", "PATCH", "DELETE")),
            api=True,
            what=f"{_side}'s empty draft: {_action} refused",
        )
    for _key, _target in (("quotes", _quote), ("orders", _order)):
        register_route(
            "api",
            lambda world, side=_side, key=_key: (
                f"/api/v1/{key}/{world.record(key, side).pk}/lines/"
            ),
            Verb("GET", permitted(_key, "view", _target)),
            Verb(
                "PUT",
                refused(_key, "change", _target),
                data=lambda world, marker: {"lines": [{"quantity": "1"}]},
            ),
            *(Verb(m, not_allowed()) for m in ("POST", "PATCH", "DELETE")),
            api=True,
            what=f"{_side}'s {_key} lines",
        )

    # The PDFs and the e-mail (decision 0077), in the entities' own areas: whoever sees the
    # record reads its PDF, others get 404.
    for _key, _target in (("quotes", _quote), ("orders", _order)):
        register_route(
            _key,
            lambda world, side=_side, key=_key: f"/{key}/{world.record(key, side).pk}/pdf/",
            Verb("GET", permitted(_key, "view", _target)),
            *(Verb(m, never_allowed) for m in ("POST", "PUT", "PATCH", "DELETE")),
            what=f"{_side}'s {_key} PDF",
        )
        register_route(
            _key,
            lambda world, side=_side, key=_key: f"/api/v1/{key}/{world.record(key, side).pk}/pdf/",
            Verb("GET", permitted(_key, "view", _target)),
            *(Verb(m, not_allowed()) for m in ("POST", "PUT", "PATCH", "DELETE")),
            api=True,
            what=f"{_side}'s {_key} PDF",
        )
    register_route(
        "quotes",
        lambda world, side=_side: f"/quotes/{world.record('quotes', side).pk}/email/",
        Verb("POST", permitted("quotes", "change", _quote)),
        *(Verb(m, never_allowed) for m in ("GET", "PUT", "PATCH", "DELETE")),
        what=f"{_side}'s empty draft e-mailed: declined",
    )
    register_route(
        "quotes",
        lambda world, side=_side: f"/api/v1/quotes/{world.record('quotes', side).pk}/email/",
        Verb("POST", refused("quotes", "change", _quote)),
        *(Verb(m, not_allowed()) for m in ("GET", "PUT", "PATCH", "DELETE")),
        api=True,
        what=f"{_side}'s empty draft: e-mail refused",
    )

    register_route(
        "pages",
        lambda world, side=_side: f"/opportunities/{world.record('opportunities', side).pk}/quote/",
        Verb("POST", _quote_from_deal(_side)[0], writes=_quote_from_deal(_side)[1]),
        *(Verb(m, never_allowed) for m in ("GET", "PUT", "PATCH", "DELETE")),
        what=f"{_side}'s deal: a quote made from it",
    )


def _no_link(world, principal):
    return Outcome.NOT_FOUND


register_route(
    "pages",
    "/q/not-a-signed-token/",
    Verb("GET", _no_link),
    Verb("POST", _no_link),
    what="the customer's quote link, forged",
    principals=("anonymous", "admin", "sales_rep"),
)


# --- document templates (decision 0085): administrators' unless a role is granted them ---------


def _document_template_values(world, marker, record):
    return {
        "name": marker,
        "document_type": "quote",
        "footer_he": "תודה {{ number }}",
        "active": True,
    }


register_records(
    "document-templates",
    make=lambda world, side: document_template_create(
        actor=world.users["admin"], data=_document_template_values(world, "Matrix template", None)
    ),
    values=_document_template_values,
    marker_field="name",
)

register_route(
    "quotes",
    "/document-templates/new/",
    Verb("GET", permitted("document-templates", "add")),
    Verb(
        "POST",
        permitted("document-templates", "add"),
        data=lambda world, marker: {
            **_document_template_values(world, marker, None),
            "show_company_details": "on",
            "active": "on",
        },
        writes=created("document-templates"),
    ),
)
register_route(
    "quotes",
    lambda world: f"/document-templates/{world.record('document-templates').pk}/editor/",
    Verb("GET", permitted("document-templates", "change")),
    what="a document template",
)
register_route(
    "quotes",
    "/document-templates/preview/",
    # A template with template code: the preview's refusal, rendered before any PDF.
    Verb(
        "POST",
        refused("document-templates", "view"),
        data=lambda world, marker: {"document_type": "quote", "footer_he": "{% now %}"},
    ),
    *(Verb(m, not_allowed()) for m in ("GET", "PUT", "PATCH", "DELETE")),
)
register_route(
    "quotes",
    lambda world: f"/api/v1/document-templates/{world.record('document-templates').pk}/logo/",
    # No file: the refusal, nothing attached.
    Verb("POST", refused("document-templates", "change")),
    *(Verb(m, not_allowed()) for m in ("GET", "PUT", "PATCH", "DELETE")),
    api=True,
    what="a document template's logo",
)

"""How the access matrix makes quotes and orders (kesher/platform/testing/matrix.py), and the
routes of their own pages and API: each sales rep's quote and order are for his own account.
The lines and the actions are sent in ways the services refuse (an empty draft is not sent, a
line without a product is no line), so whoever passes the gate gets the refusal and nothing is
written; the services' own tests write."""

from decimal import Decimal

from kesher.customers.tests.matrix_helpers import own_customer
from kesher.platform.models import Choice
from kesher.platform.records.services import record_create
from kesher.platform.testing.matrix import (
    SEARCH_WORD,
    Outcome,
    Verb,
    created,
    not_allowed,
    owner_of,
    permitted,
    refused,
    register_record_action,
    register_records,
    register_route,
)
from kesher.quotes.doctemplates import document_template_create
from kesher.quotes.models import Quote
from kesher.quotes.services import (
    LineInput,
    order_create,
    order_set_lines,
    quote_create,
    quote_set_lines,
)


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


def _line_product(world) -> int:
    """The product on the world's lines: one of their own, so that the world's products stay
    unused and the routes that delete them can."""
    if "line product" not in world.extras:
        world["line product"] = record_create(
            "products",
            actor=world.users["admin"],
            data={
                "name": f"{SEARCH_WORD} line product",
                "sku": "MATRIX-lines",
                "vat_category": Choice.objects.get(list_key="vat_category", value="standard"),
                "list_price": Decimal("100.00"),
                "cost_price": Decimal("60.00"),
            },
        )
    return world["line product"].pk


def _one_line(world, name: str) -> list[LineInput]:
    """One line named apart from every other record (a page naming it is checked for names
    out of the reader's scope)."""
    return [LineInput(product=_line_product(world), quantity=Decimal("2"), name=name)]


def _lined_quote(world, side):
    """A quote of the side's own with one line: apart from the world's quote, whose emptiness
    the send and accept routes below rely on."""
    owner = owner_of(world, side)
    quote = quote_create(
        actor=owner,
        data={"name": f"{SEARCH_WORD} lined quote {side}", "account": _customer(world, side)},
    )
    return quote_set_lines(quote, actor=owner, lines=_one_line(world, f"Quote line {side}"))


def lined_order(world, side, line_name: str = "Order line"):
    """An order of the side's own with one line (the invoice lines' documents are made from
    another, their lines named apart)."""
    owner = owner_of(world, side)
    order = order_create(
        actor=owner,
        data={"name": f"{SEARCH_WORD} lined order {side}", "account": _customer(world, side)},
    )
    return order_set_lines(order, actor=owner, lines=_one_line(world, f"{line_name} {side}"))


# Lines are parts of their documents (decision 0103): nobody creates, changes or deletes one on
# its own, so the matrix never writes them; ``values`` is what a refused write would send.
register_records(
    "quote-lines",
    make=lambda world, side: _lined_quote(world, side).lines.get(),
    values=lambda world, marker, record: {
        "quote": world.record("quotes", "rep1").pk,
        "product": world.record("products", "rep1").pk,
        "name": marker,
        "quantity": "1",
    },
    marker_field="name",
)

register_records(
    "order-lines",
    make=lambda world, side: lined_order(world, side).lines.get(),
    values=lambda world, marker, record: {
        "order": world.record("orders", "rep1").pk,
        "product": world.record("products", "rep1").pk,
        "name": marker,
        "quantity": "1",
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


# The grids' POST sends nothing to save; the empty drafts are declined (pages) or refused (API).
for _key, _grid, _action in (("quotes", "quote's", "send"), ("orders", "order's", "confirm")):
    register_record_action(
        _key,
        "lines/",
        page=lambda side, record, key=_key: Verb(
            "POST",
            permitted(key, "change", record),
            data=lambda world, marker: {"product": ["1"], "quantity": ["x"]},
            headers={"HX-Request": "true"},
        ),
        api=lambda side, record, key=_key: (
            Verb("GET", permitted(key, "view", record)),
            Verb(
                "PUT",
                refused(key, "change", record),
                data=lambda world, marker: {"lines": [{"quantity": "1"}]},
            ),
        ),
        what=f"{{side}}'s {_grid} grid (nothing to save)",
        api_what=f"{{side}}'s {_key} lines",
    )
register_record_action(
    "quotes",
    "send/",
    page=lambda side, record: Verb("POST", permitted("quotes", "change", record)),
    what="{side}'s empty draft sent: declined",
)
register_record_action(
    "orders",
    "confirm/",
    page=lambda side, record: Verb("POST", permitted("orders", "change", record)),
    what="{side}'s empty draft order confirmed: declined",
)
for _key, _action in (
    ("quotes", "send"),
    ("quotes", "request-approval"),
    ("quotes", "revise"),
    ("quotes", "accept"),
    ("quotes", "reject"),
    ("orders", "confirm"),
):
    register_record_action(
        _key,
        f"{_action}/",
        api=lambda side, record, key=_key: Verb("POST", refused(key, "change", record)),
        what=f"{{side}}'s empty draft: {_action} refused",
    )
# The PDFs and the e-mail (decision 0077), in the entities' own areas: whoever sees the record
# reads its PDF, others get 404.
for _key in ("quotes", "orders"):
    register_record_action(
        _key,
        "pdf/",
        page=lambda side, record, key=_key: Verb("GET", permitted(key, "view", record)),
        api=lambda side, record, key=_key: Verb("GET", permitted(key, "view", record)),
        page_area=_key,
        api_area=_key,
        what=f"{{side}}'s {_key} PDF",
    )
register_record_action(
    "quotes",
    "email/",
    page=lambda side, record: Verb("POST", permitted("quotes", "change", record)),
    api=lambda side, record: Verb("POST", refused("quotes", "change", record)),
    page_area="quotes",
    api_area="quotes",
    what="{side}'s empty draft e-mailed: declined",
    api_what="{side}'s empty draft: e-mail refused",
)
register_record_action(
    "opportunities",
    "quote/",
    page=lambda side, record: Verb(
        "POST", _quote_from_deal(side)[0], writes=_quote_from_deal(side)[1]
    ),
    what="{side}'s deal: a quote made from it",
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

"""How the access matrix makes purchase orders, supplier invoices and supplier payments
(kesher/platform/testing/matrix.py), and the routes of the app's own pages and API. Each
side's records are for a supplier of its own (documents keep their supplier). The actions are
sent in ways the services refuse — an empty draft is not ordered or recorded, a draft is not
received or invoiced, a line of quantity zero is not saved — so whoever passes the gate gets
the refusal and nothing is written; the services' own tests write."""

from decimal import Decimal

from kesher.customers.tests.matrix_helpers import own_customer
from kesher.platform.testing.matrix import (
    SEARCH_WORD,
    Outcome,
    Verb,
    never_allowed,
    owner_of,
    permitted,
    refused,
    register_record_action,
    register_records,
    register_route,
)
from kesher.purchasing.models import SupplierInvoice
from kesher.purchasing.services import (
    LineInput,
    lines_set,
    purchase_order_create,
    supplier_invoice_create,
    supplier_invoice_record,
    supplier_payment_create,
)


def _supplier(world, side):
    return own_customer(world, side, "Purchasing")


register_records(
    "purchase-orders",
    make=lambda world, side: purchase_order_create(
        actor=owner_of(world, side),
        data={
            "name": f"{SEARCH_WORD} purchase {side}",
            "supplier": _supplier(world, side),
            "owner": owner_of(world, side),
        },
    ),
    values=lambda world, marker, record: {
        "name": marker,
        "supplier": record.supplier_id if record else _supplier(world, "rep1").pk,
    },
    marker_field="name",
)

register_records(
    "supplier-invoices",
    make=lambda world, side: supplier_invoice_create(
        actor=owner_of(world, side),
        data={
            "supplier_number": f"{SEARCH_WORD} {side}",
            "supplier": _supplier(world, side),
            "owner": owner_of(world, side),
            "notes": f"{SEARCH_WORD} supplier invoice {side}",
        },
    ),
    values=lambda world, marker, record: {
        "supplier_number": record.supplier_number if record else marker[:60],
        "supplier": record.supplier_id if record else _supplier(world, "rep1").pk,
        "notes": marker,
    },
    marker_field="notes",
)


def _paid_invoice(world, side) -> SupplierInvoice:
    """The side's recorded invoice its payments pay (₪1,180 open: room for every payment)."""
    supplier = _supplier(world, side)
    invoice = SupplierInvoice.objects.filter(
        supplier=supplier, supplier_number=f"PAID-{side}"
    ).first()
    if invoice is not None:
        return invoice
    actor = owner_of(world, side)
    invoice = supplier_invoice_create(
        actor=actor, data={"supplier_number": f"PAID-{side}", "supplier": supplier, "owner": actor}
    )
    lines_set(
        invoice,
        actor=actor,
        lines=[LineInput(name="paid", quantity="1", unit_price="1000", vat_rate="18")],
    )
    return supplier_invoice_record(invoice, actor=actor)


register_records(
    "supplier-payments",
    make=lambda world, side: supplier_payment_create(
        actor=owner_of(world, side),
        data={
            "invoice": _paid_invoice(world, side),
            "means": "transfer",
            "amount": Decimal("10.00"),
            "reference": f"{SEARCH_WORD} {side}",
            "owner": owner_of(world, side),
            "notes": f"{SEARCH_WORD} supplier payment {side}",
        },
    ),
    values=lambda world, marker, record: {
        "invoice": record.invoice_id if record else _paid_invoice(world, "rep1").pk,
        "supplier": record.supplier_id if record else _supplier(world, "rep1").pk,
        "means": "cash",
        "amount": "1.00",
        "paid_on": "2026-12-01",
        "notes": marker,
    },
    marker_field="notes",
)


def _goods_receipt(world, side):
    """A goods receipt of the side's supplier: a purchase order of one plain line, ordered and
    received (decision 0118) — a part of its order, read with it, never written on its own."""
    from kesher.platform.records.services import record_create
    from kesher.purchasing.services import purchase_order_order, purchase_order_receive

    actor = owner_of(world, side)
    marker = world.marker()
    warehouse = record_create(
        "warehouses",
        actor=world.users["admin"],
        # Not named with the search word: the global search shows a few of each kind, and
        # these must not crowd out the sides' own warehouses.
        data={"name": f"receiving {side} {marker}"},
    )
    order = purchase_order_create(
        actor=actor,
        data={
            "name": f"{SEARCH_WORD} received {side}",
            "supplier": _supplier(world, side),
            "owner": actor,
            "warehouse": warehouse,
        },
    )
    lines_set(
        order,
        actor=actor,
        lines=[LineInput(name=f"{SEARCH_WORD} received line {side}", quantity="1", unit_price="1")],
    )
    order = purchase_order_order(order, actor=actor)
    return purchase_order_receive(order, actor=actor).goods_receipt


register_records(
    "goods-receipts",
    make=_goods_receipt,
    values=lambda world, marker, record: {"number": "GR-X", "notes": marker},
    marker_field="notes",
)
register_records(
    "goods-receipt-lines",
    make=lambda world, side: _goods_receipt(world, side).lines.get(),
    values=lambda world, marker, record: {"quantity": "1", "name": marker},
    marker_field="name",
)


def _invoice_from_order(side):
    """The gate of the supplier's invoice made from a purchase order; past it, refused: the
    draft order was never ordered."""

    def expect(world, principal):
        if not world.signed_in(principal):
            return Outcome.SIGN_IN
        if not world.can(principal, "purchase-orders", "view"):
            return Outcome.FORBIDDEN
        if not world.sees(principal, world.record("purchase-orders", side)):
            return Outcome.NOT_FOUND
        if not world.can(principal, "supplier-invoices", "add"):
            return Outcome.FORBIDDEN
        return Outcome.REFUSED

    return expect


def _credit_note(side):
    """The gate of a supplier's credit note against an invoice; past it, refused: the draft
    invoice was never recorded."""

    def expect(world, principal):
        if not world.signed_in(principal):
            return Outcome.SIGN_IN
        if not world.can(principal, "supplier-invoices", "add"):
            return Outcome.FORBIDDEN
        if not world.can(principal, "supplier-invoices", "view"):
            return Outcome.FORBIDDEN
        if not world.sees(principal, world.record("supplier-invoices", side)):
            return Outcome.NOT_FOUND
        return Outcome.REFUSED

    return expect


def _pay_supplier(side, past):
    """The gate of paying a supplier's invoices from his page; past it, ``past``: the form
    shown, or refused (no amount sent)."""

    def expect(world, principal):
        if not world.signed_in(principal):
            return Outcome.SIGN_IN
        if not world.can(principal, "supplier-payments", "add"):
            return Outcome.FORBIDDEN
        if not world.can(principal, "accounts", "view"):
            return Outcome.FORBIDDEN
        if not world.sees(principal, world.record("accounts", side)):
            return Outcome.NOT_FOUND
        return past

    return expect


def _bad_allocation(world, side):
    """An amount that is no number, for the invoice the side's payment pays: refused."""
    return world.record("supplier-payments", side).invoice_id


def _payables(side):
    def expect(world, principal):
        if not world.signed_in(principal):
            return Outcome.SIGN_IN
        if not world.can(principal, "supplier-invoices", "view"):
            return Outcome.FORBIDDEN
        if not world.can(principal, "accounts", "view"):
            return Outcome.FORBIDDEN
        if not world.sees(principal, world.record("accounts", side)):
            return Outcome.NOT_FOUND
        return Outcome.ALLOW

    return expect


ZERO_LINE = {"lines": [{"name": "x", "quantity": "0", "unit_price": "1.00"}]}
ZERO_FORM = {"rows": "1", "name_1": "x", "quantity_1": "0", "unit_price_1": "1"}

for _key in ("purchase-orders", "supplier-invoices"):
    register_record_action(
        _key,
        "lines/",
        page_root="/purchasing",
        page=lambda side, record, key=_key: (
            Verb("GET", permitted(key, "change", record)),
            Verb("POST", refused(key, "change", record), data=lambda world, marker: ZERO_FORM),
        ),
        api=lambda side, record, key=_key: (
            Verb("GET", permitted(key, "view", record)),
            Verb("PUT", refused(key, "change", record), data=lambda world, marker: ZERO_LINE),
        ),
        what=f"{{side}}'s {_key} lines, a line of quantity zero refused",
    )

for _action in ("order", "receive"):
    register_record_action(
        "purchase-orders",
        f"{_action}/",
        page=lambda side, record: Verb("POST", permitted("purchase-orders", "change", record)),
        api=lambda side, record: Verb("POST", refused("purchase-orders", "change", record)),
        what=f"{{side}}'s empty draft purchase order: {_action} declined",
        api_what=f"{{side}}'s empty draft purchase order: {_action} refused",
    )

register_record_action(
    "purchase-orders",
    "supplier-invoice/",
    page=lambda side, record: Verb(
        "POST",
        permitted("purchase-orders", "view", record),
        data=lambda world, marker: {"supplier_number": "X-1"},
    ),
    api=lambda side, record: Verb(
        "POST", _invoice_from_order(side), data=lambda world, marker: {"supplier_number": "X-1"}
    ),
    what="{side}'s draft purchase order: no supplier invoice made",
)
register_record_action(
    "supplier-invoices",
    "record/",
    page=lambda side, record: Verb("POST", permitted("supplier-invoices", "change", record)),
    api=lambda side, record: Verb("POST", refused("supplier-invoices", "change", record)),
    what="{side}'s empty draft supplier invoice: not recorded",
)
register_record_action(
    "supplier-invoices",
    "credit-note/",
    page=lambda side, record: Verb(
        "POST",
        permitted("supplier-invoices", "add", record),
        data=lambda world, marker: {"supplier_number": "CN-1", "position": ["1"]},
    ),
    api=lambda side, record: Verb(
        "POST", _credit_note(side), data=lambda world, marker: {"supplier_number": "CN-1"}
    ),
    what="{side}'s draft supplier invoice: no credit note made",
)
register_record_action(
    "supplier-payments",
    "allocate/",
    page_root="/purchasing",
    page=lambda side, record: (
        Verb("GET", permitted("supplier-payments", "change", record)),
        Verb(
            "POST",
            refused("supplier-payments", "change", record),
            data=lambda world, marker: {f"allocate_{_bad_allocation(world, side)}": "abc"},
        ),
    ),
    what="{side}'s supplier payment: allocated by an amount that is no number",
)
register_record_action(
    "supplier-payments",
    "allocations/",
    api=lambda side, record: (
        Verb("GET", permitted("supplier-payments", "view", record)),
        Verb(
            "PUT",
            refused("supplier-payments", "change", record),
            data=lambda world, marker: {
                "allocations": [{"invoice": _bad_allocation(world, side), "amount": "abc"}]
            },
        ),
    ),
    what="{side}'s supplier payment: allocated by an amount that is no number",
)
register_record_action(
    "accounts",
    "payables/",
    api=lambda side, record: Verb("GET", _payables(side)),
    what="{side}'s account's payables",
)

for _side in ("rep1", "rep2"):
    register_route(
        "pages",
        lambda world, side=_side: f"/purchasing/suppliers/{world.record('accounts', side).pk}/pay/",
        Verb("GET", _pay_supplier(_side, Outcome.ALLOW)),
        Verb("POST", _pay_supplier(_side, Outcome.REFUSED), data=lambda world, marker: {}),
        *(Verb(m, never_allowed) for m in ("PUT", "PATCH", "DELETE")),
        what=f"{_side}'s account: paying its invoices, no amount sent",
    )

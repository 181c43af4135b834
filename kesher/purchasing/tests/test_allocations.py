"""One payment over several invoices of the same supplier (issue 17; REQ RE-1; decision
0092): what each invoice takes of it, never above its open balance nor all together above the
payment; what no invoice takes is an open credit with the supplier, allocated later."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from kesher.customers.tests.factories import make_account
from kesher.purchasing.models import SupplierPayment, SupplierPaymentAllocation
from kesher.purchasing.selectors import payables_of
from kesher.purchasing.services import (
    supplier_payment_allocate,
    supplier_payment_create,
    supplier_payment_delete,
    supplier_payment_update,
)
from kesher.purchasing.tests.test_payables import recorded_invoice

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoices(users, supplier):
    """Two of the supplier's invoices: ₪1,298 and ₪708 open."""
    return (
        recorded_invoice(users, supplier, "A-1"),
        recorded_invoice(users, supplier, "A-2", price="500"),
    )


def _pay(users, supplier, amount, allocations=None, **data):
    return supplier_payment_create(
        actor=users["manager"],
        data={"supplier": supplier, "means": "transfer", "amount": Decimal(amount), **data},
        allocations=allocations,
    )


def _balances(*invoices):
    for invoice in invoices:
        invoice.refresh_from_db()
    return [invoice.balance for invoice in invoices]


def test_one_payment_over_two_invoices_the_rest_an_open_credit(users, supplier, invoices):
    first, second = invoices
    payment = _pay(users, supplier, "2500", {first: "1298", second.pk: "708.00"})
    assert (payment.invoice, payment.allocated, payment.open_credit) == (
        None,
        Decimal("2006.00"),
        Decimal("494.00"),
    )
    assert _balances(first, second) == [0, 0]
    payables = payables_of(supplier, users["manager"])
    assert (payables.open_balance, payables.open_credit, payables.owed) == (
        0,
        Decimal("494.00"),
        Decimal("-494.00"),
    )
    # A later invoice takes the open credit.
    third = recorded_invoice(users, supplier, "A-3", price="900")  # ₪1,180
    payment = supplier_payment_allocate(
        payment,
        actor=users["manager"],
        allocations={first: "1298", second: "708", third: "494"},
    )
    assert (payment.open_credit, _balances(third)) == (0, [Decimal("686.00")])


@pytest.mark.parametrize(
    ("allocations", "message"),
    [
        ({"A-1": "1298.01"}, "Above the open balance of invoice A-1"),
        ({"A-1": "1298", "A-2": "708"}, r"more than the payment \(2,000.00\)"),
        ({"A-1": "-5"}, "amount in agorot"),
        ({"A-1": "1.001"}, "amount in agorot"),
        ({"A-1": "abc"}, "amount in agorot"),
        ({"other": "5"}, "invoice of this supplier"),
    ],
)
def test_over_allocation_is_refused_with_nothing_written(
    users, supplier, invoices, allocations, message
):
    first, second = invoices
    other = recorded_invoice(users, make_account(users["manager"], name="ספק אחר"), "B-1")
    named = {"A-1": first, "A-2": second, "other": other}
    before = SupplierPayment.objects.count()
    with pytest.raises(ValidationError, match=message):
        _pay(users, supplier, "2000", {named[key]: value for key, value in allocations.items()})
    assert SupplierPayment.objects.count() == before
    assert not SupplierPaymentAllocation.objects.exists()
    assert _balances(first, second) == [Decimal("1298.00"), Decimal("708.00")]


def test_two_payments_cannot_both_take_one_balance(users, supplier, invoices):
    first, _second = invoices
    _pay(users, supplier, "1000", {first: "1000"})
    with pytest.raises(ValidationError, match=r"open balance of invoice A-1 \(298.00\)"):
        _pay(users, supplier, "500", {first: "500"})
    assert _balances(first) == [Decimal("298.00")]


def test_another_currency_is_refused(users, supplier, goods, invoices):
    dollars = recorded_invoice(users, supplier, "D-1", currency="USD")
    with pytest.raises(ValidationError, match=r"is in (ILS|USD), the payment in (USD|ILS)"):
        _pay(users, supplier, "100", {invoices[0]: "50", dollars: "10"})
    payment = _pay(users, supplier, "100", {dollars: "100"})
    assert (payment.currency, payment.amount_ils) == ("USD", Decimal("370.00"))


def test_correcting_and_deleting_settle_every_invoice_again(users, supplier, invoices):
    first, second = invoices
    manager = users["manager"]
    payment = _pay(users, supplier, "1500", {first: "1000", second: "500"})
    with pytest.raises(ValidationError, match="cannot be less"):
        supplier_payment_update(payment, actor=manager, data={"amount": Decimal("1400")})
    # The form sends every field, the empty invoice too: the allocations stay.
    supplier_payment_update(
        payment, actor=manager, data={"amount": Decimal("1600"), "invoice": None}
    )
    payment.refresh_from_db()
    assert (payment.allocated, payment.open_credit) == (Decimal("1500.00"), Decimal("100.00"))
    supplier_payment_delete(payment, actor=manager)
    assert _balances(first, second) == [Decimal("1298.00"), Decimal("708.00")]


def test_a_single_invoice_payment_is_one_allocation(users, supplier, invoices):
    first, second = invoices
    manager = users["manager"]
    payment = supplier_payment_create(
        actor=manager, data={"invoice": first, "means": "cash", "amount": Decimal("300")}
    )
    assert list(payment.allocations.values_list("invoice", "amount")) == [
        (first.pk, Decimal("300.00"))
    ]
    supplier_payment_update(payment, actor=manager, data={"invoice": second})
    assert _balances(first, second) == [Decimal("1298.00"), Decimal("408.00")]
    supplier_payment_update(payment, actor=manager, data={"invoice": None})
    payment.refresh_from_db()
    assert (payment.allocated, payment.open_credit) == (0, Decimal("300.00"))
    assert _balances(second) == [Decimal("708.00")]


def test_the_api_allocates_and_refuses_in_hebrew(users, supplier, invoices, api_for):
    first, second = invoices
    api = api_for(users["manager"], language="he")
    made = api.post(
        "/api/v1/supplier-payments/",
        {"supplier": supplier.pk, "means": "transfer", "amount": "2000", "reference": "ה-1"},
        format="json",
    )
    assert made.status_code == 201, made.content
    url = f"/api/v1/supplier-payments/{made.json()['id']}/allocations/"
    too_much = api.put(
        url,
        {
            "allocations": [
                {"invoice": first.pk, "amount": "1298"},
                {"invoice": second.pk, "amount": "708"},
            ]
        },
        format="json",
    )
    assert too_much.status_code == 400
    assert "יותר מהתשלום" in too_much.content.decode()
    assert _balances(first, second) == [Decimal("1298.00"), Decimal("708.00")]
    done = api.put(
        url,
        {
            "allocations": [
                {"invoice": first.pk, "amount": "1298"},
                {"invoice": second.pk, "amount": "500"},
            ]
        },
        format="json",
    )
    assert done.status_code == 200, done.content
    body = done.json()
    assert (body["allocated"], body["open_credit"]) == ("1798.00", "202.00")
    assert [row["supplier_number"] for row in body["allocations"]] == ["A-1", "A-2"]
    assert api.get(url).json() == body
    payables = api.get(f"/api/v1/accounts/{supplier.pk}/payables/").json()
    assert (payables["open_balance"], payables["open_credit"], payables["owed"]) == (
        "208.00",
        "202.00",
        "6.00",
    )
    rep = api_for(users["sales_rep"]).get(url)
    assert rep.status_code == 403


def test_the_pages_pay_several_invoices_and_allocate_the_rest(
    users, supplier, invoices, client_for
):
    first, second = invoices
    manager = users["manager"]
    manager.language = "en"
    manager.save(update_fields=["language"])
    client = client_for(manager)
    account = client.get(f"/r/accounts/{supplier.pk}/").content.decode()
    assert 'id="payables-pay"' in account
    url = f"/purchasing/suppliers/{supplier.pk}/pay/"
    page = client.get(url).content.decode()
    assert f'id="allocate-{first.pk}"' in page
    form = {"means": "transfer", "amount": "1500", "reference": "T-77"}
    refused = client.post(url, {**form, f"allocate_{first.pk}": "1500"})
    assert refused.status_code == 400
    assert "Above the open balance of invoice A-1" in refused.content.decode()
    assert not SupplierPayment.objects.exists()
    made = client.post(url, {**form, f"allocate_{first.pk}": "1298"})
    payment = SupplierPayment.objects.get()
    assert made["Location"] == f"/r/supplier-payments/{payment.pk}/"
    shown = client.get(made["Location"]).content.decode()
    assert 'id="payment-open-credit"' in shown
    assert "₪202.00" in shown
    assert 'id="supplier-payment-allocate"' in shown
    allocate = f"/purchasing/supplier-payments/{payment.pk}/allocate/"
    assert 'value="1298.00"' in client.get(allocate).content.decode()
    client.post(allocate, {f"allocate_{first.pk}": "1298", f"allocate_{second.pk}": "202"})
    assert _balances(first, second) == [0, Decimal("506.00")]
    invoice_page = client.get(f"/r/supplier-invoices/{second.pk}/").content.decode()
    assert 'id="payment-allocations"' in invoice_page
    assert "₪202.00" in invoice_page
    timeline = client.get(f"/r/supplier-invoices/{second.pk}/timeline/").content.decode()
    assert "T-77" in timeline


def test_tax_withheld_at_source_settles_the_invoices_with_the_amount_paid(
    users, supplier, invoices, client_for
):
    """ניכוי במקור: the supplier is paid less the tax withheld by his certificate; the
    payment settles his invoices with both, and the cash out is what was paid."""
    from kesher.purchasing.exports import supplier_rows

    a1, a2 = invoices  # 1,298 and 708 open
    whole = _pay(users, supplier, "1259.06", invoice=a1, withholding=Decimal("38.94"))
    assert (whole.settles, whole.amount_ils, whole.withholding_ils) == (
        Decimal("1298.00"),
        Decimal("1259.06"),
        Decimal("38.94"),
    )
    assert _balances(a1, a2) == [Decimal("0"), Decimal("708.00")]
    # Over the page for several invoices: 700 paid and 8 withheld settle A-2 whole.
    manager = users["manager"]
    manager.language = "en"
    manager.save(update_fields=["language"])
    client = client_for(manager)
    assert (
        'id="pay-withholding"'
        in client.get(f"/purchasing/suppliers/{supplier.pk}/pay/").content.decode()
    )
    client.post(
        f"/purchasing/suppliers/{supplier.pk}/pay/",
        {"means": "cash", "amount": "700", "withholding": "8", f"allocate_{a2.pk}": "708"},
    )
    paid = SupplierPayment.objects.get(amount=Decimal("700"))
    assert (paid.withholding, paid.allocated, paid.open_credit) == (
        Decimal("8.00"),
        Decimal("708.00"),
        Decimal("0"),
    )
    assert _balances(a1, a2) == [Decimal("0"), Decimal("0")]
    with pytest.raises(ValidationError, match="more than the payment"):
        _pay(users, supplier, "10", allocations={a2.pk: "12"}, withholding=Decimal("1"))
    with translation.override("en"):
        header, *rows = supplier_rows(manager, date(2000, 1, 1), date(2100, 1, 1))
    assert header[-1] == "tax withheld (₪)"
    assert sorted(row[-1] for row in rows if row[0] == "Supplier payment") == ["38.94", "8.00"]
    assert {row[-1] for row in rows if row[0] != "Supplier payment"} == {""}

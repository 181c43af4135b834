"""Pricing: the one place a line's price, discount, VAT and total are worked out (REQ SA-8,
SA-9; rounding and the document chain in decision 0065).

``price_lines`` reads everything it needs in a fixed number of queries, whatever the number of
lines — the products, the price lists that may apply, their entries, the price rules, the VAT
rates, the exchange rates and the reader's discount limits — and hands the rows to
``compute``, which works in memory only (the bench compares the two).

A line's unit price, in the document's currency:

1. a **rental period** (a line with ``period`` and ``periods``): the product's rental rule for
   that period with the largest "from periods" not above the count, times the count;
2. otherwise the most specific **price list** valid on the date that has the product: the
   customer's, then his segment's (the account's status), then the default list — a list of
   the document's company before one for every company — at its largest quantity break not
   above the quantity; otherwise the product's **list price**;
3. plus each chosen **add-on** (the add-on rule's price, or the add-on's own price as in 2).

Amounts in another currency are converted through the shekel by the rates in force on the date.
A **quantity break** rule (the product's, else its nearest group's) gives a discount percent;
the reader's manual discount comes on top of it. Rounding, to agorot, ROUND_HALF_UP, once per
amount and line: the unit price; the gross (quantity × unit price); the discount; VAT on the net.
The document's totals are sums of the rounded lines, so they add up exactly.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections, router
from django.db.models import Q, QuerySet
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from kesher.catalogue.models import (
    HOME_CURRENCY,
    DiscountLimit,
    ExchangeRate,
    PriceList,
    PriceListEntry,
    PriceRule,
    Product,
    VatRate,
)

__all__ = [
    "AGORA",
    "LineRequest",
    "PricedDocument",
    "PricedLine",
    "PricingData",
    "PricingError",
    "compute",
    "load_pricing_data",
    "price_lines",
    "to_agorot",
]

AGORA = Decimal("0.01")
HUNDRED = Decimal("100")
ZERO = Decimal("0")


def to_agorot(amount: Decimal) -> Decimal:
    """``amount`` rounded to agorot, half up (decision 0065)."""
    return amount.quantize(AGORA, rounding=ROUND_HALF_UP)


class PricingError(Exception):
    """Lines that cannot be priced: ``errors`` maps a request field to translated messages, and
    ``lines`` the index of each line that cannot be priced to its fields' messages (as the
    API answers a line's bad input)."""

    def __init__(self, errors: dict):
        super().__init__(errors)
        self.errors = errors


@dataclass(frozen=True)
class LineRequest:
    """One line to price: a product, a quantity, optionally a rental period and its count,
    add-ons and a manual discount percent."""

    product: int
    quantity: Decimal
    period: str = ""
    periods: Decimal | None = None
    addons: tuple[int, ...] = ()
    discount_percent: Decimal = ZERO


@dataclass(frozen=True)
class PricedLine:
    product: int
    name: str
    sku: str
    quantity: Decimal
    unit_price: Decimal
    source: str
    gross: Decimal
    rule_discount_percent: Decimal
    discount_percent: Decimal
    discount: Decimal
    net: Decimal
    vat_rate: Decimal
    vat: Decimal
    total: Decimal
    # The manual discount is above the reader's limit: the document will need approval.
    over_limit: bool
    discount_limit: Decimal | None


@dataclass(frozen=True)
class PricedDocument:
    currency: str
    date: datetime.date
    lines: list[PricedLine]
    gross: Decimal
    discount: Decimal
    net: Decimal
    vat: Decimal
    total: Decimal
    over_limit: bool


class GroupRow:
    """A product's group as pricing reads it: its id and its ancestors', nearest first."""

    __slots__ = ("ids",)

    def __init__(self, path: str):
        self.ids = [int(part) for part in reversed(path.strip("/").split("/")) if part]

    def ancestor_ids(self) -> list[int]:
        return self.ids


class ProductRow:
    """The columns of a product pricing reads, as a plain object: a quote reads a few dozen,
    and a model instance each (with its group's) cost more than their query (bench/pricing.py).
    The attributes are a ``Product``'s, so ``compute`` takes either."""

    FIELDS = ("pk", "name", "sku", "group_id", "group", "vat_category_id", "list_price")
    __slots__ = (*FIELDS, "currency", "active")

    def __init__(
        self, pk, name, sku, group_id, path, vat_category_id, list_price, currency, active
    ):
        self.pk = pk
        self.name = name
        self.sku = sku
        self.group_id = group_id
        self.group = GroupRow(path) if group_id else None
        self.vat_category_id = vat_category_id
        self.list_price = list_price
        self.currency = currency
        self.active = active


class RuleRow:
    """A price rule's columns as a plain object with a ``PriceRule``'s attribute names."""

    FIELDS = ("pk", "name", "kind", "product_id", "group_id", "period", "addon_id")
    # In the columns' order (RULE_FIELDS).
    __slots__ = (*FIELDS, "min_quantity", "price", "currency", "discount_percent")

    def __init__(self, *values):
        for name, value in zip(self.__slots__, values, strict=True):
            setattr(self, name, value)


class ListRow:
    """A price list as pricing reads it (a ``PriceList``'s attribute names)."""

    __slots__ = ("account_id", "company_id", "name", "pk", "segment_id")

    def __init__(self, pk, name, account_id, segment_id, company_id):
        self.pk = pk
        self.name = name
        self.account_id = account_id
        self.segment_id = segment_id
        self.company_id = company_id

    @property
    def rank(self) -> int:
        """How specific the list is: the customer's 0, a segment's 1, the default 2."""
        if self.account_id:
            return 0
        return 1 if self.segment_id else 2


class VatRow:
    """A VAT rate from a date on (a ``VatRate``'s attribute names)."""

    __slots__ = ("rate", "valid_from")

    def __init__(self, valid_from, rate):
        self.valid_from = valid_from
        self.rate = rate


class LimitRow:
    """A discount limit (a ``DiscountLimit``'s attribute names)."""

    __slots__ = ("group_id", "max_percent", "role_id", "user_id")

    def __init__(self, role_id, user_id, group_id, max_percent):
        self.role_id = role_id
        self.user_id = user_id
        self.group_id = group_id
        self.max_percent = max_percent


@dataclass
class PricingData:
    """The rows pricing reads, already in memory."""

    products: dict[int, Product | ProductRow]
    lists: list[PriceList | ListRow]
    # (list, product) → (from quantity, price), the largest quantity first
    entries: dict[tuple[int, int], list[tuple[Decimal, Decimal]]]
    rules: list[PriceRule | RuleRow]
    vat_rates: dict[int, list[VatRate | VatRow]]  # VAT category → newest first
    exchange_rates: dict[str, Decimal]  # currency → shekels per unit on the date
    limits: list[DiscountLimit | LimitRow]
    reader_id: int | None = None
    reader_role_id: int | None = None
    unlimited: bool = False
    errors: dict = field(default_factory=dict)


# The columns pricing reads (no JSON custom fields, no timestamps to convert), in the order
# of ``ProductRow`` and ``RuleRow``.
PRODUCT_FIELDS = (
    "pk",
    "name",
    "sku",
    "group_id",
    "group__path",
    "vat_category_id",
    "list_price",
    "currency",
    "active",
)
LIST_FIELDS = ("pk", "name", "account_id", "segment_id", "company_id")
RULE_FIELDS = (
    "pk",
    "name",
    "kind",
    "product_id",
    "group_id",
    "period",
    "addon_id",
    "min_quantity",
    "price",
    "currency",
    "discount_percent",
)


# Compiled queries by (name, database, shape): SQL text, the compiler (for Django's own value
# converters) and its converters. Compiling a query costs more than running it here: six of them
# were three fifths of ``load_pricing_data`` (bench/pricing.py; decision 0085).
_PREPARED: dict[tuple, tuple[str, Any, Any]] = {}
_PREPARED_MAX = 512


def _rows(name: str, model, shape: tuple, build: Callable[[], QuerySet], params: list) -> list:
    """The rows of ``build()`` (a ``values_list`` query), compiled by the ORM once per
    ``shape`` (the lengths of its lists) and run again with ``params`` in its placeholders.
    The first compilation checks that ``params`` are the ORM's own, in its order; a query
    whose parameters are not (a backend that adapts them) runs through the ORM each time."""
    database = router.db_for_read(model)
    key = (name, database, shape)
    entry = _PREPARED.get(key)
    if entry is None:
        queryset = build()
        compiler = queryset.query.get_compiler(database)
        try:
            sql, compiled = compiler.as_sql()
        except EmptyResultSet:
            return []
        if list(compiled) != list(params):
            return list(queryset)
        converters = compiler.get_converters([s[0] for s in compiler.select[: compiler.col_count]])
        entry = (sql, compiler, converters)
        if len(_PREPARED) < _PREPARED_MAX:
            _PREPARED[key] = entry
    sql, compiler, converters = entry
    with connections[database].cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if converters:
        return [tuple(row) for row in compiler.apply_converters(rows, converters)]
    return rows


def _in_force(valid_from, valid_until, day: datetime.date) -> bool:
    return (valid_from is None or valid_from <= day) and (valid_until is None or day <= valid_until)


def load_pricing_data(
    *, account, currency: str, day: datetime.date, lines: list[LineRequest], reader, company=None
) -> PricingData:
    """Read, in a fixed number of queries, every row pricing ``lines`` may need. Each query is
    compiled once per shape and process (``_rows``); dates are compared here, not in SQL."""
    wanted = sorted({line.product for line in lines} | {a for line in lines for a in line.addons})
    products = {
        row[0]: ProductRow(*row)
        for row in _rows(
            "products",
            Product,
            (len(wanted),),
            lambda: Product.objects.filter(pk__in=wanted).order_by().values_list(*PRODUCT_FIELDS),
            wanted,
        )
    }
    product_ids = sorted(products)
    group_ids = sorted(
        {gid for p in products.values() if p.group_id for gid in p.group.ancestor_ids()}
    )
    for_whom = Q(is_default=True)
    # A boolean condition compiles to the column itself: no parameter.
    whom_params: list = []
    account_id = getattr(account, "pk", None)
    segment_id = getattr(account, "status_id", None)
    if account_id is not None:
        for_whom |= Q(account_id=account_id)
        whom_params.append(account_id)
        if segment_id:
            for_whom |= Q(segment_id=segment_id)
            whom_params.append(segment_id)
    company_id = getattr(company, "pk", company)
    lists = [
        ListRow(*row)
        for *row, valid_from, valid_until in _rows(
            "lists",
            PriceList,
            (account_id is not None, bool(segment_id), company_id is not None),
            lambda: (
                PriceList.objects.filter(
                    for_whom,
                    Q(company_id__isnull=True) | Q(company_id=company_id),
                    active=True,
                    currency=currency,
                )
                .order_by()
                .values_list(*LIST_FIELDS, "valid_from", "valid_until")
            ),
            [*whom_params, *([company_id] if company_id is not None else []), currency],
        )
        if _in_force(valid_from, valid_until, day)
    ]
    lists.sort(key=lambda plist: (plist.rank, plist.company_id is None, plist.pk))
    entries: dict[tuple[int, int], list[tuple[Decimal, Decimal]]] = {}
    if lists and products:
        # Plain tuples: a quote reads a few hundred of them, and model instances cost more
        # than the query (bench/pricing.py).
        list_ids = [plist.pk for plist in lists]
        for list_id, product_id, min_quantity, price in _rows(
            "entries",
            PriceListEntry,
            (len(list_ids), len(product_ids)),
            lambda: (
                PriceListEntry.objects.filter(
                    price_list_id__in=list_ids, product_id__in=product_ids
                )
                .order_by("-min_quantity")
                .values_list("price_list_id", "product_id", "min_quantity", "price")
            ),
            [*list_ids, *product_ids],
        ):
            entries.setdefault((list_id, product_id), []).append((min_quantity, price))
    rules = []
    if products:
        rules = [
            RuleRow(*row)
            for *row, valid_from, valid_until in _rows(
                "rules",
                PriceRule,
                (len(product_ids), len(group_ids)),
                lambda: (
                    PriceRule.objects.filter(
                        Q(product_id__in=product_ids) | Q(group_id__in=group_ids), active=True
                    )
                    .order_by("-min_quantity", "id")
                    .values_list(*RULE_FIELDS, "valid_from", "valid_until")
                ),
                [*product_ids, *group_ids],
            )
            if _in_force(valid_from, valid_until, day)
        ]
    vat_rates: dict[int, list[VatRow]] = {}
    categories = sorted({p.vat_category_id for p in products.values()})
    if categories:
        for category_id, valid_from, rate in _rows(
            "vat",
            VatRate,
            (len(categories),),
            lambda: (
                VatRate.objects.filter(category_id__in=categories)
                .order_by("-valid_from")
                .values_list("category_id", "valid_from", "rate")
            ),
            categories,
        ):
            if valid_from <= day:
                vat_rates.setdefault(category_id, []).append(VatRow(valid_from, rate))
    currencies = {currency} | {p.currency for p in products.values()} | {r.currency for r in rules}
    currencies.discard(HOME_CURRENCY)
    exchange_rates = {HOME_CURRENCY: Decimal(1)}
    if currencies:
        for rate_currency, rate in (
            ExchangeRate.objects.filter(currency__in=currencies, valid_from__lte=day)
            .order_by("currency", "-valid_from")
            .values_list("currency", "rate")
        ):
            exchange_rates.setdefault(rate_currency, rate)
    role_id = getattr(reader, "role_id", None)
    reader_id = getattr(reader, "pk", None)
    limits = []
    if reader_id is not None:
        by_reader = Q(user_id=reader_id) | (Q(role_id=role_id) if role_id else Q(pk__in=[]))
        # No ordering: the model's default one joins users, roles and groups for nothing.
        limits = [
            LimitRow(*row)
            for row in _rows(
                "limits",
                DiscountLimit,
                (bool(role_id),),
                lambda: (
                    DiscountLimit.objects.filter(by_reader)
                    .order_by()
                    .values_list("role_id", "user_id", "group_id", "max_percent")
                ),
                [reader_id, *([role_id] if role_id else [])],
            )
        ]
    return PricingData(
        products=products,
        lists=lists,
        entries=entries,
        rules=rules,
        vat_rates=vat_rates,
        exchange_rates=exchange_rates,
        limits=limits,
        reader_id=reader_id,
        reader_role_id=role_id,
        unlimited=reader is None,
    )


def price_lines(
    *,
    account,
    currency: str,
    day: datetime.date,
    lines: list[LineRequest],
    reader,
    company=None,
) -> PricedDocument:
    """Price ``lines`` for ``account`` (may be None: the default lists) in ``currency`` on
    ``day``, flagging manual discounts above ``reader``'s limit; nothing is saved. Raises
    ``PricingError`` for a line that cannot be priced."""
    data = load_pricing_data(
        account=account, currency=currency, day=day, lines=lines, reader=reader, company=company
    )
    return compute(data, currency=currency, day=day, lines=lines)


# --- the computation, over rows in memory ------------------------------------------------------


def _convert(amount: Decimal, source: str, target: str, data: PricingData) -> Decimal:
    if source == target:
        return amount
    return amount * data.exchange_rates[source] / data.exchange_rates[target]


def _list_price(product: Product, quantity: Decimal, currency: str, data: PricingData):
    """The product's price per unit by the most specific list, else its list price."""
    for plist in data.lists:
        for min_quantity, price in data.entries.get((plist.pk, product.pk), ()):
            if min_quantity <= quantity:
                return price, plist.name
    return _convert(product.list_price, product.currency, currency, data), _("list price")


def _rules(data: PricingData, kind: str, product: Product) -> list[PriceRule]:
    return [rule for rule in data.rules if rule.kind == kind and rule.product_id == product.pk]


def _quantity_break(product: Product, quantity: Decimal, data: PricingData):
    """The discount of the most specific quantity break reached: the product's, else its
    nearest group's (rules come with the largest quantity first)."""
    owners = [("product", product.pk)] + [
        ("group", gid) for gid in (product.group.ancestor_ids() if product.group_id else ())
    ]
    for what, pk in owners:
        for rule in data.rules:
            if rule.kind != PriceRule.Kind.QUANTITY or getattr(rule, f"{what}_id") != pk:
                continue
            if rule.min_quantity <= quantity:
                return rule
    return None


def _limit(product: Product, data: PricingData) -> Decimal | None:
    """The reader's largest manual discount on ``product``: his own limits before his role's,
    a group's (the nearest) before the general one; no limit at all is 0."""
    if data.unlimited:
        return None
    groups = product.group.ancestor_ids() if product.group_id else []
    for by_user in (True, False):
        mine = [limit for limit in data.limits if bool(limit.user_id) == by_user]
        for gid in [*groups, None]:
            for limit in mine:
                if limit.group_id == gid:
                    return limit.max_percent
    return ZERO


def _vat_rate(product: Product, day: datetime.date, data: PricingData) -> Decimal | None:
    for rate in data.vat_rates.get(product.vat_category_id, ()):
        if rate.valid_from <= day:
            return rate.rate
    return None


def _price_line(line: LineRequest, currency: str, day, data: PricingData, errors: dict):
    product = data.products.get(line.product)
    if product is None or not product.active:
        errors["product"] = [_("There is no product %(id)s for sale.") % {"id": line.product}]
        return None
    if line.period:
        rule = next(
            (
                rule
                for rule in _rules(data, PriceRule.Kind.PERIOD, product)
                if rule.period == line.period and rule.min_quantity <= (line.periods or ZERO)
            ),
            None,
        )
        if rule is None:
            errors["period"] = [
                _("%(product)s has no rental price for this period.") % {"product": product.name}
            ]
            return None
        unit = _convert(rule.price, rule.currency, currency, data) * line.periods
        sources = [rule.name]
    else:
        unit, source = _list_price(product, line.quantity, currency, data)
        sources = [str(source)]
    for addon_id in line.addons:
        addon = data.products.get(addon_id)
        rule = next(
            (r for r in _rules(data, PriceRule.Kind.ADDON, product) if r.addon_id == addon_id),
            None,
        )
        if addon is None or rule is None or not addon.active:
            errors["addons"] = [
                _("Add-on %(id)s is not sold with %(product)s.")
                % {"id": addon_id, "product": product.name}
            ]
            return None
        if rule.price is not None:
            unit += _convert(rule.price, rule.currency, currency, data)
        else:
            unit += _list_price(addon, line.quantity, currency, data)[0]
        sources.append(rule.name)
    vat_rate = _vat_rate(product, day, data)
    if vat_rate is None:
        errors["product"] = [_("No VAT rate is in force for this product on this date.")]
        return None
    quantity_break = _quantity_break(product, line.quantity, data)
    rule_percent = quantity_break.discount_percent if quantity_break else ZERO
    if quantity_break:
        sources.append(quantity_break.name)
    unit_price = to_agorot(unit)
    gross = to_agorot(line.quantity * unit_price)
    # The manual discount applies to what is left after the rule's.
    combined = HUNDRED - (HUNDRED - rule_percent) * (HUNDRED - line.discount_percent) / HUNDRED
    discount = to_agorot(gross * combined / HUNDRED)
    net = gross - discount
    vat = to_agorot(net * vat_rate / HUNDRED)
    limit = _limit(product, data)
    return PricedLine(
        product=product.pk,
        name=product.name,
        sku=product.sku,
        quantity=line.quantity,
        unit_price=unit_price,
        source=" + ".join(sources),
        gross=gross,
        rule_discount_percent=rule_percent,
        discount_percent=line.discount_percent,
        discount=discount,
        net=net,
        vat_rate=vat_rate,
        vat=vat,
        total=net + vat,
        over_limit=limit is not None and line.discount_percent > limit,
        discount_limit=limit,
    )


def compute(
    data: PricingData, *, currency: str, day: datetime.date, lines: list[LineRequest]
) -> PricedDocument:
    """Price ``lines`` over ``data`` (no query). Raises ``PricingError``."""
    needed = {currency} | {
        p.currency for p in data.products.values() if p.pk in {ln.product for ln in lines}
    }
    missing = sorted(c for c in needed if c not in data.exchange_rates)
    if missing:
        raise PricingError(
            {
                "currency": [
                    _("There is no exchange rate for %(currency)s on %(date)s.")
                    % {
                        "currency": ", ".join(missing),
                        "date": date_format(day, "SHORT_DATE_FORMAT"),
                    }
                ]
            }
        )
    priced: list[PricedLine] = []
    line_errors: dict[int, dict] = {}
    for index, line in enumerate(lines):
        errors: dict = {}
        try:
            result = _price_line(line, currency, day, data, errors)
        except KeyError as missing_rate:  # a rule's or an add-on's currency without a rate
            errors["currency"] = [
                _("There is no exchange rate for %(currency)s on %(date)s.")
                % {"currency": missing_rate.args[0], "date": date_format(day, "SHORT_DATE_FORMAT")}
            ]
            result = None
        if errors:
            line_errors[index] = errors
        if result is not None:
            priced.append(result)
    if line_errors:
        raise PricingError({"lines": line_errors})
    return PricedDocument(
        currency=currency,
        date=day,
        lines=priced,
        gross=sum((line.gross for line in priced), ZERO),
        discount=sum((line.discount for line in priced), ZERO),
        net=sum((line.net for line in priced), ZERO),
        vat=sum((line.vat for line in priced), ZERO),
        total=sum((line.total for line in priced), ZERO),
        over_limit=any(line.over_limit for line in priced),
    )

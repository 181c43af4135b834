"""Pricing a 50-line quote (issue 16: p95 ≤ 50 ms and ≤ 3× the bare computation over rows
already in memory; REQ SA-8, SA-9; decision 0065).

    .venv/bin/python -m bench.pricing --db sqlite
    .venv/bin/python -m bench.pricing --db postgres   # server from $DATABASE_URL or localhost

Builds a throw-away database (a temporary SQLite file, or a ``kesher_bench_pricing``
PostgreSQL database dropped afterwards) holding a catalogue larger than a small business's —
2,000 products in 20 groups, a default list with three quantity breaks per product, a VIP
list, a customer's own list, a company's list, rental rules, add-ons and group quantity
breaks — then prices one 50-line quote for that VIP customer as a sales rep: 35 lines from the
lists (with manual discounts, some over the rep's limit), 10 rentals, 5 with add-ons.

The figure is ``price_lines`` (its queries and the computation); the floor is ``compute`` over
the same rows already loaded (``load_pricing_data`` run once beforehand). They alternate round
by round, so load from elsewhere on the shared machine hits both alike. Results go to
``bench/results/pricing-<db>.md``.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

from bench.database import engine_version, scratch_database

RESULTS = Path(__file__).resolve().parent / "results"
PG_NAME = "kesher_bench_pricing"
DAY = date(2026, 6, 1)
PRODUCTS = 2000
GROUPS = 20


def _setup():
    """Migrate, then the catalogue, a VIP customer with his own list, and a sales rep."""
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from kesher.catalogue.models import (
        PriceList,
        PriceListEntry,
        PriceRule,
        Product,
        ProductGroup,
    )
    from kesher.customers.models import Account
    from kesher.org.models import Company, Role, User
    from kesher.platform.models import Choice

    rep = User.objects.create_user("rep", "rep@example.co.il", None)
    rep.role = Role.objects.get(key="sales_rep")
    rep.save()
    vip = Choice.objects.get(list_key="account_status", value="vip")
    account = Account.objects.create(name="לקוח VIP", status=vip, owner=rep)
    company = Company.objects.create(name="קשר בע״מ", company_number="514000009")
    standard = Choice.objects.get(list_key="vat_category", value="standard")
    root = ProductGroup.objects.create(name_he="הכול")
    root.path = f"/{root.pk}/"
    root.save()
    groups = []
    for n in range(GROUPS):
        group = ProductGroup.objects.create(name_he=f"קבוצה {n}", parent=root)
        group.path = f"{root.path}{group.pk}/"
        group.save()
        groups.append(group)
    products = Product.objects.bulk_create(
        Product(
            name=f"מוצר {n}",
            sku=f"SKU-{n:05}",
            barcode=f"729{n:010}",
            group=groups[n % GROUPS],
            vat_category=standard,
            list_price=Decimal(100 + n % 900) + Decimal("0.90"),
            cost_price=Decimal(60 + n % 500),
        )
        for n in range(PRODUCTS)
    )
    default = PriceList.objects.create(name="כללי", is_default=True)
    vip_list = PriceList.objects.create(name="VIP", segment=vip)
    own = PriceList.objects.create(name="של הלקוח", account=account)
    company_list = PriceList.objects.create(name="של החברה", is_default=True, company=company)
    entries = []
    for n, product in enumerate(products):
        for breakpoint, cut in (("1", 0), ("10", 5), ("50", 10)):
            entries.append(
                PriceListEntry(
                    price_list=default,
                    product=product,
                    min_quantity=Decimal(breakpoint),
                    price=product.list_price - cut,
                )
            )
        if n % 2 == 0:
            entries.append(
                PriceListEntry(price_list=vip_list, product=product, price=product.list_price - 7)
            )
        if n % 3 == 0:
            entries.append(
                PriceListEntry(
                    price_list=company_list, product=product, price=product.list_price - 3
                )
            )
        if n % 40 == 0:
            entries.append(
                PriceListEntry(price_list=own, product=product, price=product.list_price - 12)
            )
    PriceListEntry.objects.bulk_create(entries, batch_size=2000)
    rules = []
    for product in products[:200]:
        for period, price in (("day", "90"), ("week", "400"), ("month", "1300")):
            rules.append(
                PriceRule(
                    name=f"השכרה {period}",
                    kind="period",
                    product=product,
                    period=period,
                    price=Decimal(price),
                )
            )
        rules.append(
            PriceRule(
                name="שבוע ארוך",
                kind="period",
                product=product,
                period="week",
                min_quantity=Decimal(4),
                price=Decimal("350"),
            )
        )
    for product in products[200:260]:
        for addon in products[1990:1994]:
            rules.append(
                PriceRule(
                    name=f"תוספת {addon.sku}",
                    kind="addon",
                    product=product,
                    addon=addon,
                    price=Decimal("49.90"),
                )
            )
    for group in groups:
        rules.append(
            PriceRule(
                name="מדרגה",
                kind="quantity",
                group=group,
                min_quantity=Decimal(20),
                discount_percent=Decimal(5),
            )
        )
    PriceRule.objects.bulk_create(rules, batch_size=2000)
    return rep, account, company, products


def _quote(products):
    from kesher.catalogue.pricing import LineRequest

    lines = []
    for n in range(35):
        product = products[300 + n * 47]
        lines.append(
            LineRequest(
                product=product.pk, quantity=Decimal(1 + n % 60), discount_percent=Decimal(n % 14)
            )
        )
    for n in range(10):
        lines.append(
            LineRequest(
                product=products[n * 17].pk,
                quantity=Decimal(1 + n % 3),
                period=("day", "week", "month")[n % 3],
                periods=Decimal(1 + n),
            )
        )
    for n in range(5):
        lines.append(
            LineRequest(
                product=products[200 + n * 11].pk,
                quantity=Decimal(2),
                addons=tuple(p.pk for p in products[1990 : 1991 + n % 4]),
            )
        )
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    options = parser.parse_args(argv)
    where, cleanup = scratch_database(options.db, pg_name=PG_NAME, prefix="kesher-pricing-")
    try:
        started = time.perf_counter()
        rep, account, company, products = _setup()
        setup_seconds = time.perf_counter() - started
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from bench.timing import machine_and_run_lines, measure, percentile
        from kesher.catalogue.pricing import compute, load_pricing_data, price_lines

        lines = _quote(products)
        kwargs = {
            "account": account,
            "currency": "ILS",
            "day": DAY,
            "lines": lines,
            "reader": rep,
            "company": company,
        }
        data = load_pricing_data(**kwargs)
        bare = {k: kwargs[k] for k in ("currency", "day", "lines")}
        full_result = price_lines(**kwargs)
        assert full_result == compute(data, **bare), "the floor must compute the same document"
        with CaptureQueriesContext(connection) as queries:
            price_lines(**kwargs)
        query_count = len(queries)
        gc.collect()
        gc.freeze()
        [(full, floor)] = measure(
            [(lambda: price_lines(**kwargs), lambda: compute(data, **bare))],
            runs=options.runs,
            warmup=options.warmup,
        )
        p50, p95 = percentile(full, 50), percentile(full, 95)
        f50, f95 = percentile(floor, 50), percentile(floor, 95)
        ratio = p95 / f95
        passed = p95 <= 50 and ratio <= 3
        command = [sys.executable.rsplit("/", 1)[-1], "-m", "bench.pricing"]
        command += argv if argv is not None else sys.argv[1:]
        verdict = "pass" if passed else "FAIL"
        report = "\n".join(
            [
                f"# Pricing a 50-line quote — {options.db}",
                "",
                "Issue 16: pricing a 50-line quote (price lists, rules, discounts, totals) p95",
                "≤ 50 ms and ≤ 3× the bare computation over rows already in memory",
                "(`bench/pricing.py`; its docstring says what is built and measured).",
                "",
                "| figure | p50 ms | p95 ms | floor p50 ms | floor p95 ms | p95 / floor p95 "
                "| target | |",
                "|---|---|---|---|---|---|---|---|",
                f"| `price_lines`, 50 lines | {p50:.2f} | {p95:.2f} | {f50:.2f} | {f95:.2f} "
                f"| {ratio:.2f}× | ≤ 50 ms, ≤ 3× | {verdict} |",
                "",
                f"- Queries per quote: {query_count}, whatever the number of lines.",
                f"- Data: {PRODUCTS:,} products in {GROUPS} groups; {len(data.lists)} price "
                f"lists apply to the customer; {len(data.rules)} rules read for the quote.",
                f"- {options.runs} timed rounds after {options.warmup} warm-up rounds; each "
                "round runs the figure, then the floor.",
                f"- Database: {where} ({engine_version()}); set-up took {setup_seconds:.0f} s.",
                *machine_and_run_lines(command),
            ]
        )
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / f"pricing-{options.db}.md").write_text(report, encoding="utf-8")
        print(report)
        return 0 if passed else 1
    finally:
        cleanup()


if __name__ == "__main__":
    sys.exit(main())

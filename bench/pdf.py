"""A 50-line quote's PDF (issue 16) and a 50-line tax invoice's PDF (issue 17): each ≤ 1.5×
the time WeasyPrint takes to render the same finished HTML alone (decision 0077).

    .venv/bin/python -m bench.pdf --db sqlite
    .venv/bin/python -m bench.pdf --db postgres   # server from $DATABASE_URL or localhost
    .venv/bin/python -m bench.pdf --db sqlite --document invoice

Builds a throw-away database (a temporary SQLite file, or a ``kesher_bench_pdf`` PostgreSQL
database dropped afterwards) holding our company, a customer with a contact, 50 products and
one sent quote of 50 priced lines with Hebrew descriptions, discounts and terms (three
pages).

The figure is what the download does: read the quote and its lines from the database, render
the document template in Hebrew (the company's header, the lines, the totals) and have
WeasyPrint make the PDF (``kesher.quotes.documents.document_pdf``). The floor is WeasyPrint
alone making the PDF of the same finished HTML, rendered once beforehand
(``weasyprint.HTML(string=…).write_pdf()``). They alternate round by round, so load from
elsewhere on the shared machine hits both alike. Results go to the database's section of
``bench/results/pdf-quote.md``.

``--document invoice``: the same quote accepted, its order made a tax invoice of the same 50
lines and issued (over the allocation threshold: its allocation number comes from the practice
stand-in), printed once as the original. The figure is the download
(``kesher.billing.documents.document_download``: the print counted under the row's lock — a
copy, "העתק" — the invoice, its lines, its order and customer read, the template rendered
with the mandatory fields, WeasyPrint); the floor, WeasyPrint alone on the same finished HTML.
Results: ``bench/results/pdf-invoice.md``.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from decimal import Decimal
from pathlib import Path

from bench.database import engine_version, scratch_database

RESULTS = Path(__file__).resolve().parent / "results"
REPORTS = {"quote": RESULTS / "pdf-quote.md", "invoice": RESULTS / "pdf-invoice.md"}
TITLES = {"quote": "a 50-line quote's PDF", "invoice": "a 50-line tax invoice's PDF"}
ISSUES = {"quote": "Issue 16", "invoice": "Issue 17"}
PG_NAME = "kesher_bench_pdf"
LINES = 50


def _setup():
    """Migrate, then our company, a customer, a sales rep, 50 products and the sent quote."""
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from kesher.catalogue.models import Product
    from kesher.customers.models import Account, Contact
    from kesher.org.models import Company, Role, User
    from kesher.platform.models import Choice
    from kesher.quotes.services import LineInput, quote_create, quote_send, quote_set_lines

    admin = User.objects.create_user("admin", "admin@example.co.il", None)
    admin.role = Role.objects.get(key="admin")
    admin.save()
    company = Company.objects.create(
        name="קשר מערכות בע״מ",
        company_number="514000009",
        address="שדרות הנשיא 12, חיפה",
        email="office@kesher.example",
    )
    account = Account.objects.create(
        name="אלקטרוניקה הגליל בע״מ", company_number="513000000", owner=admin
    )
    contact = Contact.objects.create(first_name="דנה", last_name="כהן", owner=admin)
    standard = Choice.objects.get(list_key="vat_category", value="standard")
    products = Product.objects.bulk_create(
        Product(
            name=f"מחשב נייד דגם {n} עם מסך 14 אינץ׳ ואחריות לשלוש שנים",
            sku=f"LAP-{n:04}",
            vat_category=standard,
            list_price=Decimal(1000 + n * 37) + Decimal("0.90"),
        )
        for n in range(LINES)
    )
    quote = quote_create(
        actor=admin,
        data={
            "name": "הצעת מחיר — ציוד משרדי לסניף הצפון",
            "account": account,
            "contact": contact,
            "company": company,
            "terms": "שוטף + 30. המחירים אינם כוללים התקנה.\nההצעה כפופה לזמינות המלאי.",
        },
    )
    quote = quote_set_lines(
        quote,
        actor=admin,
        lines=[
            LineInput(
                product=product.pk,
                quantity=Decimal(1 + n % 12),
                discount_percent=Decimal(n % 8),
            )
            for n, product in enumerate(products)
        ],
    )
    return quote_send(quote, actor=admin)


def _invoice(quote):
    """The quote accepted, its order a tax invoice issued with its allocation number (the
    practice stand-in answers), printed once: the original is used up."""
    from kesher.billing.allocation import request_allocations
    from kesher.billing.documents import document_download
    from kesher.billing.models import TaxDocument
    from kesher.billing.services import document_from_order, document_issue
    from kesher.billing.taxauthority import PracticeTaxAuthority
    from kesher.quotes.services import quote_accept

    order = quote_accept(quote, actor=quote.owner)
    draft = document_from_order(order, actor=quote.owner, kind="tax_invoice")
    document_issue(draft, actor=quote.owner)
    request_allocations(client=PracticeTaxAuthority())
    invoice = TaxDocument.objects.get(pk=draft.pk)
    assert invoice.status == "issued", invoice.status
    assert invoice.allocation_number, "the practice stand-in gives the number"
    document_download(invoice, language="he")  # the original
    return invoice


def _percentile(samples, pct):
    ordered = sorted(samples)
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def _write_section(db: str, section: str, document: str = "quote") -> None:
    """Replace this database's section of the report, keeping the other's."""
    report = REPORTS[document]
    title = f"# {TITLES[document][0].upper()}{TITLES[document][1:]}\n"
    sections = {}
    if report.exists():
        for part in report.read_text(encoding="utf-8").split("\n## ")[1:]:
            name = part.split("\n", 1)[0].strip()
            sections[name] = "## " + part.rstrip("\n") + "\n"
    sections[db] = section
    intro = (
        f"{ISSUES[document]}: {TITLES[document]} ≤ 1.5× the time WeasyPrint takes to render "
        "the same\nfinished HTML alone (`bench/pdf.py`; its docstring says what is built and "
        "measured).\n"
    )
    body = "\n".join(sections[name] for name in ("sqlite", "postgres") if name in sections)
    RESULTS.mkdir(exist_ok=True)
    report.write_text(f"{title}\n{intro}\n{body}", encoding="utf-8")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--document", choices=("quote", "invoice"), default="quote")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument(
        "--profile", action="store_true", help="also print a pyinstrument profile of 5 PDFs"
    )
    options = parser.parse_args(argv)
    where, cleanup = scratch_database(options.db, pg_name=PG_NAME, prefix="kesher-pdf-")
    try:
        started = time.perf_counter()
        sent = _setup()
        setup_seconds = time.perf_counter() - started
        from django.db import connection
        from django.test.utils import CaptureQueriesContext
        from pypdf import PdfReader
        from weasyprint import HTML

        from bench.timing import machine_and_run_lines
        from kesher.quotes.documents import document_html, document_pdf
        from kesher.quotes.models import Quote

        def figure() -> bytes:
            quote = Quote.objects.select_related("account", "contact", "company", "owner").get(
                pk=sent.pk
            )
            return document_pdf(quote, language="he")

        def ours() -> str:
            # Kesher's own share of the figure: the queries and the template, no WeasyPrint.
            quote = Quote.objects.select_related("account", "contact", "company", "owner").get(
                pk=sent.pk
            )
            return document_html(quote, language="he")

        if options.document == "invoice":
            from kesher.billing import documents as billing_documents
            from kesher.billing.models import TaxDocument
            from kesher.billing.services import PrintMark

            invoice = _invoice(sent)
            related = ("account", "contact", "company", "owner", "based_on", "order")

            def figure() -> bytes:
                return billing_documents.document_download(
                    TaxDocument.objects.get(pk=invoice.pk), language="he"
                )

            def ours() -> str:
                document = TaxDocument.objects.select_related(*related).get(pk=invoice.pk)
                return billing_documents.document_html(document, language="he", mark=PrintMark.COPY)

        html = ours()

        def floor() -> bytes:
            return HTML(string=html).write_pdf()

        import io

        with CaptureQueriesContext(connection) as queries:
            made = figure()
        query_count = len(queries)
        pages = len(PdfReader(io.BytesIO(made)).pages)
        assert pages == len(PdfReader(io.BytesIO(floor())).pages), "the same document"
        if options.profile:
            from pyinstrument import Profiler

            profiler = Profiler()
            with profiler:
                for _ in range(5):
                    figure()
            print(profiler.output_text(unicode=True, color=False, show_all=False))
        gc.collect()
        gc.freeze()
        full, bare, own = [], [], []
        for round_number in range(options.warmup + options.runs):
            t0 = time.perf_counter()
            figure()
            t1 = time.perf_counter()
            floor()
            t2 = time.perf_counter()
            ours()
            t3 = time.perf_counter()
            if round_number >= options.warmup:
                full.append((t1 - t0) * 1000)
                bare.append((t2 - t1) * 1000)
                own.append((t3 - t2) * 1000)
        p50, p95 = _percentile(full, 50), _percentile(full, 95)
        f50, f95 = _percentile(bare, 50), _percentile(bare, 95)
        ratio50, ratio95 = p50 / f50, p95 / f95
        passed = ratio95 <= 1.5
        what = "`document_pdf`" if options.document == "quote" else "`document_download`"
        command = [sys.executable.rsplit("/", 1)[-1], "-m", "bench.pdf"]
        command += argv if argv is not None else sys.argv[1:]
        verdict = "pass" if passed else "FAIL"
        section = "\n".join(
            [
                f"## {options.db}",
                "",
                "| figure | p50 ms | p95 ms | floor p50 ms | floor p95 ms | p50 / floor "
                "| p95 / floor p95 | target | |",
                "|---|---|---|---|---|---|---|---|---|",
                f"| {what}, {LINES} lines, {pages} pages | {p50:.0f} | {p95:.0f} "
                f"| {f50:.0f} | {f95:.0f} | {ratio50:.2f}× | {ratio95:.2f}× | ≤ 1.5× | {verdict} |",
                "",
                f"- Kesher's own share (the queries and the template, measured alone in the "
                f"same rounds): p50 {_percentile(own, 50):.1f} ms — the rest is WeasyPrint; "
                "the gap between figure and floor beyond it is the machine's noise.",
                f"- Queries per PDF: {query_count} "
                + (
                    "(the quote, its lines, the company's logo)."
                    if options.document == "quote"
                    else "(the print counted under the row's lock; the invoice with its "
                    "customer, order and company; its lines and payments; the logo)."
                ),
                f"- Finished HTML: {len(html.encode()):,} bytes; the PDF: {len(made):,} bytes.",
                f"- {options.runs} timed rounds after {options.warmup} warm-up rounds; each "
                "round makes the figure, then the floor, then Kesher's share alone.",
                f"- Database: {where} ({engine_version()}); set-up took {setup_seconds:.0f} s.",
                *machine_and_run_lines(command),
            ]
        )
        _write_section(options.db, section, options.document)
        print(section)
        return 0 if passed else 1
    finally:
        cleanup()


if __name__ == "__main__":
    sys.exit(main())
